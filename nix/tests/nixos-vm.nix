/**
  The NixOS VM test of the module: a machine with nixpkgs, KVM and the nix-pgo
  package runs it (it cannot run where there is no nixpkgs or no KVM).

  ```sh
  nix-build nix/tests/nixos-vm.nix          # <nixpkgs> from NIX_PATH
  nix build .#checks.x86_64-linux.nixos     # the flake's checks, where wired
  ```

  It checks, in a booted NixOS, what the real-systemd host test
  (test/host/nixos-machine.int.test.ts) checks without NixOS: the spool; the
  module's variables, exactly, for two users, a sandboxed service and a user
  unit (none in the daemon); the profiling variants first; every run counted
  for its contributor; root's activation putting root's own build of the
  optimized variants first on PATH for root and the users; the system
  evaluated as the next `nixos-rebuild` evaluates it (with root's lock)
  resolving to exactly that, in its services too; and the daemon's user
  failing to make root or another user run its code.
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
      let
        # What every user and service must see: the module's session variables (not the config file's).
        expected = builtins.toJSON (removeAttrs nodes.machine.environment.sessionVariables [ "NIX_PGO_CONFIG" ]);
      in
      ''
        import json
        import shlex

        machine.wait_for_unit("multi-user.target")
        machine.wait_for_unit("nix-pgo.service")
        machine.wait_for_unit("nix-pgo-activate.path")

        def kind(path):
            out = "/".join(path.split("/")[:4])
            return json.loads(machine.succeed(f"cat {out}/nix-support/pgo.json"))["kind"]

        def which(user, program):
            return machine.succeed(f"su - {user} -c 'readlink -f $(command -v {program})'").strip()

        def probe_report(text):
            report = {"env": {}}
            for line in text.splitlines():
                if line.startswith("probe uid="):
                    report["uid"] = int(line.split("=", 1)[1])
                elif line.startswith("probe env "):
                    name, value = line[len("probe env "):].split("=", 1)
                    report["env"][name] = value
                elif line.startswith("probe ran hello="):
                    report["hello"] = line.split("=", 1)[1]
            return report

        expected = json.loads('${expected}')

        with subtest("the spool: a tmpfs, sticky write-only directories, a default ACL for owner and daemon"):
            machine.succeed("findmnt -n -o FSTYPE /var/spool/nix-pgo | grep -qx tmpfs")
            for fmt in ["llvm", "gcda", "bolt"]:
                machine.succeed(f"test \"$(stat -c %a:%U /var/spool/nix-pgo/{fmt})\" = 1733:nix-pgo")
                machine.succeed(f"getfacl -p /var/spool/nix-pgo/{fmt} | grep -qx 'default:user:nix-pgo:rwx'")
                machine.succeed(f"test \"$(stat -c %U /var/spool/nix-pgo/{fmt}/1000)\" = alice")

        with subtest("login shells and services get the one variable, the daemon does not"):
            machine.succeed("su - alice -c 'printenv NIX_PGO_SPOOL' | grep -qx /var/spool/nix-pgo")
            machine.fail("su - alice -c 'printenv LLVM_PROFILE_FILE'")
            machine.succeed("systemctl show -p Environment sandboxed-hello | grep -q NIX_PGO_SPOOL=")

        with subtest("the system uses the profiling variants"):
            assert kind(which("alice", "hello")) == "profile"
            assert kind(which("alice", "jq")) == "profile"

        with subtest("users, a sandboxed service and a user unit run them, without a word on stderr, seeing exactly the module's variables"):
            seen = {}
            for user, runs in [("alice", 2), ("bob", 3)]:
                for _ in range(runs):
                    out = machine.succeed(f"su - {user} -c 'hello 2>&1; echo {{}} | jq -c . 2>&1'")
                    assert out == "Hello, world!\n{}\n", out
                env = dict(line.split("=", 1) for line in machine.succeed(f"su - {user} -c env").splitlines() if "=" in line)
                for name, value in expected.items():
                    assert env.get(name) == value, f"{user}: {name}={env.get(name)}"
                for name in ["LLVM_PROFILE_FILE", "GCOV_PREFIX", "GCOV_PREFIX_STRIP", "NIX_PGO_GCDA_ROOT"]:
                    assert name not in env, f"{user}: {name}={env.get(name)}"
            machine.succeed("systemctl start sandboxed-hello")
            seen["service"] = probe_report(machine.succeed("journalctl -o cat -u sandboxed-hello"))
            machine.succeed("loginctl enable-linger bob")
            machine.wait_for_unit("user@1001.service")
            machine.succeed("su - bob -c 'XDG_RUNTIME_DIR=/run/user/1001 systemctl --user start probe.service'")
            seen["bob (user unit)"] = probe_report(machine.succeed("journalctl -o cat _UID=1001 _SYSTEMD_USER_UNIT=probe.service"))
            for who, report in seen.items():
                for name, value in expected.items():
                    assert report["env"].get(name) == value, f"{who}: {name}={report['env'].get(name)}"
                assert set(report["env"]) - {"NIX_PGO_CONFIG"} == set(expected), f"{who}: {report['env']}"
            machine.fail("journalctl -u sandboxed-hello | grep -i 'profile error'")
            machine.fail("tr '\\0' '\\n' < /proc/$(systemctl show -p MainPID --value nix-pgo)/environ | grep -q '^NIX_PGO_SPOOL='")

        with subtest("every run is counted, each for its contributor"):
            want = {1000: 2, 1001: 4, seen["service"]["uid"]: 1}
            def counted():
                status = json.loads(machine.succeed("nix-pgo status --json --config /etc/nix-pgo/config.json"))
                return {p["name"]: {c["uid"]: c["runs"] for c in p["contributors"]} for p in status["packages"]}
            machine.wait_until_succeeds("nix-pgo status --json --config /etc/nix-pgo/config.json | grep -q '\"activeVariant\":\"optimized\"'", timeout=1800)
            for name, runs in counted().items():
                assert runs == want, f"{name}: {runs} != {want}"

        with subtest("nobody reads, renames or deletes another's data"):
            # The system's own hello, still the profiling variant (root's profile may have the optimized one by now).
            machine.succeed("su - alice -c /run/current-system/sw/bin/hello")
            alices = machine.succeed("find /var/spool/nix-pgo/llvm/1000 -user alice -name '*.profraw' | head -n 1").strip()
            if alices:
                machine.fail(f"su - bob -c 'cat {alices}'")
                machine.fail(f"su - bob -c 'rm -f {alices}'")
                machine.fail(f"su - bob -c 'mv {alices} {alices}.x'")
            machine.fail("su - bob -c 'ls /var/spool/nix-pgo/llvm'")
            machine.fail("su - bob -c 'ls /var/spool/nix-pgo/gcda/1000'")
            machine.fail("su - bob -c 'ls /var/spool/nix-pgo/llvm/1000'")

        with subtest("root's activation puts root's own build first on every user's PATH, root's included"):
            machine.wait_until_succeeds("grep -q helloClang /var/lib/nix-pgo-system/pgo-lock.json && grep -q jq /var/lib/nix-pgo-system/pgo-lock.json", timeout=1800)
            for user in ["root", "alice", "bob"]:
                machine.wait_until_succeeds(f"su - {user} -c 'command -v hello' | grep -qx /var/lib/nix-pgo-system/profile/bin/hello", timeout=300)
                assert kind(which(user, "hello")) == "optimized"
                assert kind(which(user, "jq")) == "optimized"
            machine.succeed("su - alice -c hello | grep -qx 'Hello, world!'")
            daemon = json.loads(machine.succeed("nix-pgo status --json --config /etc/nix-pgo/config.json"))
            for p in daemon["packages"]:
                program = "hello" if p["name"] == "helloClang" else "jq"
                assert "/".join(which("root", program).split("/")[:4]) == p["activePath"]

        with subtest("the next nixos-rebuild uses exactly what root activated, in its services too"):
            active = "/".join(machine.succeed("readlink -f /var/lib/nix-pgo-system/profile/bin/hello").strip().split("/")[:4])
            evaluate = "nix-instantiate -I nixpkgs=${pkgs.path} -I nixos-config=${inVmConfiguration} --eval -E"
            rebuilt = machine.succeed(f"{evaluate} '(import <nixpkgs/nixos> {{ }}).pkgs.helloClang.outPath' | tr -d '\"'").strip()
            assert rebuilt == active, f"{rebuilt} != {active}"
            service = machine.succeed(f"{evaluate} '(import <nixpkgs/nixos> {{ }}).config.systemd.services.sandboxed-hello.environment.PROBE_HELLO' | tr -d '\"'").strip()
            assert service == active, f"the rebuilt service runs {service}, not {active}"

        with subtest("a spool writer cannot make root or another user run code, nor be counted as another user"):
            def counts():
                status = json.loads(machine.succeed("nix-pgo status --json --config /etc/nix-pgo/config.json"))
                return {p["name"]: {c["uid"]: c["runs"] for c in p["contributors"]} for p in status["packages"]}
            def as_alice(script, *args, stdin=None):
                command = "runuser -u alice -- sh -c " + shlex.quote(script) + " sh " + " ".join(shlex.quote(a) for a in args)
                return machine.succeed(command if stdin is None else command + " <<'EOF'\n" + stdin + "\nEOF")
            before = (counts(), which("root", "hello"), machine.succeed("cat /var/lib/nix-pgo-system/pgo-lock.json"))
            evil = "#!/bin/sh\ntouch /var/tmp/pwned-spool-$(id -u)"
            # A name has no slash: the shell code in it climbs to / first.
            climb = "cd ..;" * 8 + "cd var;cd tmp;touch pwned-spool-name"
            as_alice('cat > "$1"', "/var/spool/nix-pgo/llvm/1000/$(" + climb + ").profraw", stdin=evil)
            as_alice('ln -s /etc/shadow "$1"', "/var/spool/nix-pgo/llvm/1000/1-2.profraw")
            # A real raw profile of the system's (profiling) hello in a directory named as bob's fallback.
            as_alice('mkdir -p "$1" "$HOME/own/llvm" && NIX_PGO_SPOOL="$HOME/own" /run/current-system/sw/bin/hello >/dev/null && cp "$HOME"/own/llvm/*/*.profraw "$1"/', "/var/spool/nix-pgo/llvm/1001.Abc123")
            as_alice('mkdir -p "$1" && cat > "$1/main.gcda"', "/var/spool/nix-pgo/gcda/1000/x", stdin=evil)
            machine.sleep(10)
            for user in ["root", "alice", "bob"]:
                machine.succeed(f"su - {user} -c 'hello >/dev/null; echo {{}} | jq -c . >/dev/null'")
            machine.fail("ls /var/tmp/pwned-spool-*")
            machine.succeed("systemctl is-active nix-pgo.service")
            assert counts() == before[0], f"{counts()} != {before[0]}"
            assert which("root", "hello") == before[1]
            assert machine.succeed("cat /var/lib/nix-pgo-system/pgo-lock.json") == before[2]

        with subtest("a profiling program run where the spool is absent (as in a Nix build) says nothing and behaves as it does"):
            assert kind(machine.succeed("readlink -f /run/current-system/sw/bin/hello").strip()) == "profile"
            absent = "systemd-run --quiet --pipe --wait --collect -p DynamicUser=yes -p TemporaryFileSystem=/var/spool --setenv=NIX_PGO_SPOOL=/var/spool/nix-pgo --"
            out = machine.succeed(f"{absent} /run/current-system/sw/bin/hello 2>&1")
            assert out == "Hello, world!\n", out
            out = machine.succeed(f"echo {{}} | {absent} /run/current-system/sw/bin/jq -c . 2>&1")
            assert out == "{}\n", out

        with subtest("the daemon's user cannot make root or another user run code of its own"):
            before = machine.succeed("readlink -f /var/lib/nix-pgo-system/profile/bin/hello")
            as_daemon = "sudo -u nix-pgo env HOME=/var/lib/nix-pgo NIX_REMOTE=daemon"
            machine.succeed("mkdir -p /tmp/evil/bin && printf '#!/bin/sh\\ntouch /var/tmp/pwned-$(id -u)\\n' > /tmp/evil/bin/hello && chmod -R a+rX /tmp/evil && chmod +x /tmp/evil/bin/hello")
            evil = machine.succeed(f"{as_daemon} nix-store --add /tmp/evil").strip()
            machine.succeed(f"{as_daemon} nix-env -p /var/lib/nix-pgo/profile --set {evil}")
            lock = json.loads(machine.succeed("cat /var/lib/nix-pgo/pgo-lock.json"))
            lock["packages"]["helloClang"]["storePath"] = evil
            machine.succeed(f"{as_daemon} sh -c 'cat > /var/lib/nix-pgo/pgo-lock.json' <<'EOF'\n{json.dumps(lock)}\nEOF")
            machine.succeed("systemctl start nix-pgo-activate.service || true")
            machine.succeed("journalctl -u nix-pgo-activate -o cat | grep -q 'is not a store path named pgo-helloClang.profdata'")
            for user in ["root", "alice"]:
                machine.succeed(f"su - {user} -c hello")
            machine.fail("ls /var/tmp/pwned-*")
            assert machine.succeed("readlink -f /var/lib/nix-pgo-system/profile/bin/hello") == before
            machine.fail(f"{as_daemon} nix-env -p /var/lib/nix-pgo-system/profile --set {evil}")
      '';
  };
in
if pkgs.testers ? runNixOSTest then pkgs.testers.runNixOSTest test else pkgs.nixosTest (removeAttrs test [ "node" ])
