/**
  The NixOS VM test of the module: a machine with nixpkgs, KVM and the nix-pgo
  package runs it (it cannot run where there is no nixpkgs or no KVM).

  ```sh
  nix-build nix/tests/nixos-vm.nix          # <nixpkgs> from NIX_PATH
  nix build .#checks.x86_64-linux.nixos     # the flake's checks, where wired
  ```

  It checks, in a booted NixOS: the spool (a tmpfs, sticky directories, the
  default ACL), the variables in login shells and services (and not in the
  daemon), that the system uses the profiling variants, that two users' and a
  sandboxed service's instrumented programs write without a word on stderr
  and cannot read each other's data, that the daemon harvests, builds the
  optimized variants and puts them first on PATH, and that the system
  evaluated as the next `nixos-rebuild` evaluates it (with the lock the daemon
  wrote) resolves to exactly what the daemon built.
*/
{
  pkgs ? import <nixpkgs> { },
  # The nix-pgo package (the flake passes packages.${system}.default).
  nix-pgo ? pkgs.callPackage ../../package.nix { },
}:
let
  inherit (pkgs) lib;

  # nix/ alone, as a store path: the machine's configuration inside the VM
  # imports the module from there.
  nixDir = builtins.path {
    name = "nix-pgo-nix";
    path = ../.;
  };

  # The machine's own configuration inside the VM, as /etc/nixos would hold it.
  inVmConfiguration = pkgs.writeText "configuration.nix" ''
    {
      imports = [ ${nixDir}/tests/nixos-vm-machine.nix ];
      services.nix-pgo.package = "${nix-pgo}";
    }
  '';

  test = {
    name = "nix-pgo";

    # The module adds nixpkgs.overlays, so the node evaluates its own pkgs.
    node.pkgsReadOnly = false;

    nodes.machine =
      { config, pkgs, ... }:
      {
        imports = [ ./nixos-vm-machine.nix ];
        services.nix-pgo.package = nix-pgo;
        # The host's lock file must not reach the test; inside the VM the
        # configuration reads the daemon's (the module's default).
        services.nix-pgo.lockFile = null;

        nix.nixPath = [ "nixpkgs=${pkgs.path}" "nixos-config=${inVmConfiguration}" ];
        nix.settings.substituters = lib.mkForce [ ];
        # What the daemon needs to evaluate the system and build the optimized
        # variants offline: nixpkgs' sources and the variants' build inputs.
        system.extraDependencies = [
          pkgs.path
          inVmConfiguration
          pkgs.nixPgo.packages.helloClang.pgo.profile.inputDerivation
          pkgs.nixPgo.packages.jq.pgo.profile.inputDerivation
        ];
        virtualisation = {
          memorySize = 3072;
          diskSize = 8192;
          writableStore = true;
        };
      };

    testScript =
      { nodes, ... }:
      ''
        import json

        machine.wait_for_unit("multi-user.target")
        machine.wait_for_unit("nix-pgo.service")

        def manifest(program):
            path = machine.succeed(f"readlink -f $(su - alice -c 'command -v {program}')").strip()
            out = "/".join(path.split("/")[:4])
            return json.loads(machine.succeed(f"cat {out}/nix-support/pgo.json"))

        with subtest("the spool: a tmpfs, sticky write-only directories, a default ACL for owner and daemon"):
            machine.succeed("findmnt -n -o FSTYPE /var/spool/nix-pgo | grep -qx tmpfs")
            machine.succeed("test \"$(stat -c %a:%U /var/spool/nix-pgo/llvm)\" = 1733:nix-pgo")
            machine.succeed("test \"$(stat -c %a:%U /var/spool/nix-pgo/gcda)\" = 1733:nix-pgo")
            machine.succeed("test \"$(stat -c %a:%U /var/spool/nix-pgo/bolt)\" = 1733:nix-pgo")
            machine.succeed("getfacl -p /var/spool/nix-pgo/llvm | grep -qx 'default:user:nix-pgo:rwx'")
            for fmt in ["llvm", "gcda", "bolt"]:
                machine.succeed(f"test \"$(stat -c %U /var/spool/nix-pgo/{fmt}/1000)\" = alice")

        with subtest("login shells and services get the variables, the daemon does not"):
            machine.succeed("su - alice -c 'printenv NIX_PGO_SPOOL' | grep -qx /var/spool/nix-pgo")
            machine.fail("su - alice -c 'printenv LLVM_PROFILE_FILE'")
            machine.succeed("systemctl show -p Environment sandboxed-hello | grep -q NIX_PGO_SPOOL=")
            machine.fail("tr '\\0' '\\n' < /proc/$(systemctl show -p MainPID --value nix-pgo)/environ | grep -q NIX_PGO_SPOOL")

        with subtest("the system uses the profiling variants"):
            assert manifest("hello")["kind"] == "profile"
            assert manifest("jq")["kind"] == "profile"

        with subtest("users and a sandboxed service write without a word on stderr"):
            for user in ["alice", "bob"]:
                out = machine.succeed(f"su - {user} -c 'hello 2>&1; echo {{}} | jq -c . 2>&1'")
                assert out == "Hello, world!\n{}\n", out
            machine.succeed("systemctl start sandboxed-hello")
            machine.fail("journalctl -u sandboxed-hello | grep -i 'profile error'")

        with subtest("nobody reads, renames or deletes another's data"):
            machine.succeed("su - alice -c hello")
            alices = machine.succeed("find /var/spool/nix-pgo/llvm/1000 -user alice -name '*.profraw' | head -n 1").strip()
            if alices:
                machine.fail(f"su - bob -c 'cat {alices}'")
                machine.fail(f"su - bob -c 'rm -f {alices}'")
                machine.fail(f"su - bob -c 'mv {alices} {alices}.x'")
            machine.fail("su - bob -c 'ls /var/spool/nix-pgo/llvm'")
            machine.fail("su - bob -c 'ls /var/spool/nix-pgo/gcda/1000'")
            machine.fail("su - bob -c 'ls /var/spool/nix-pgo/llvm/1000'")

        with subtest("the daemon builds the optimized variants and puts them first on PATH"):
            machine.wait_until_succeeds("grep -q helloClang /var/lib/nix-pgo/pgo-lock.json", timeout=1800)
            machine.wait_until_succeeds("su - alice -c 'command -v hello' | grep -qx /var/lib/nix-pgo/profile/bin/hello", timeout=300)
            assert manifest("hello")["kind"] == "optimized"
            machine.succeed("su - alice -c hello | grep -qx 'Hello, world!'")
            machine.succeed("sudo -u nix-pgo nix-pgo status --config /etc/nix-pgo/config.json")

        with subtest("the next nixos-rebuild uses exactly what the daemon built"):
            active = "/".join(machine.succeed("readlink -f /var/lib/nix-pgo/profile/bin/hello").strip().split("/")[:4])
            rebuilt = machine.succeed(
                "nix-instantiate -I nixpkgs=${pkgs.path} -I nixos-config=${inVmConfiguration} "
                + "--eval -E '(import <nixpkgs/nixos> { }).pkgs.helloClang.outPath' | tr -d '\"'"
            ).strip()
            assert rebuilt == active, f"{rebuilt} != {active}"
      '';
  };
in
if pkgs.testers ? runNixOSTest then pkgs.testers.runNixOSTest test else pkgs.nixosTest (removeAttrs test [ "node" ])
