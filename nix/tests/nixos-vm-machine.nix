/**
  The machine of the NixOS VM test (nixos-vm.nix). Inside the VM it is also
  the machine's own `nixos-config` (with root's lock file), so the daemon
  and root's activation there evaluate the system as `nixos-rebuild` would.

  Two managed packages: GNU hello built with clang (IR PGO) and jq (GCC,
  gcda trees); two users; a service whose sandbox makes the spool read-only
  and a user unit, each running both programs and printing the spool
  variables it sees and the build it ran.
*/
{ pkgs, ... }:
let
  probe = pkgs.writeShellScript "nix-pgo-probe" ''
    echo "probe uid=$(${pkgs.coreutils}/bin/id -u)"
    ${pkgs.coreutils}/bin/env | ${pkgs.gnugrep}/bin/grep -E '^(NIX_PGO_|LLVM_PROFILE_FILE|GCOV_)' | ${pkgs.gnused}/bin/sed 's/^/probe env /'
    "$PROBE_HELLO/bin/hello" >/dev/null
    echo '{}' | "$PROBE_JQ/bin/jq" -c . >/dev/null
    echo "probe ran hello=$PROBE_HELLO"
  '';
in
{
  imports = [ ../nixos-module.nix ];

  # A clang-built program: nixpkgs builds with GCC on Linux.
  nixpkgs.overlays = [ (final: prev: { helloClang = prev.hello.override { stdenv = final.clangStdenv; }; }) ];

  services.nix-pgo = {
    packages = [ "helloClang" "jq" ];
    # The optimized builds start once every run of the test script is merged
    # (nixos-vm.nix: alice 2, bob 3, the service 1, bob's user unit 1).
    thresholdMB = 0.00001;
    settings = {
      trustedUsers = "*";
      policy.minRuns = 7;
    };
  };

  environment.systemPackages = [ pkgs.helloClang pkgs.jq pkgs.acl ];

  users.users.alice = { isNormalUser = true; uid = 1000; };
  users.users.bob = { isNormalUser = true; uid = 1001; };

  # DynamicUser implies ProtectSystem=strict: the module gives it the spool.
  # The programs are the system's (what a rebuild changes), named in the units' environment.
  systemd.services.sandboxed-hello = {
    environment = { PROBE_HELLO = "${pkgs.helloClang}"; PROBE_JQ = "${pkgs.jq}"; };
    serviceConfig = {
      Type = "oneshot";
      DynamicUser = true;
      ExecStart = "${probe}";
    };
  };
  systemd.user.services.probe = {
    environment = { PROBE_HELLO = "${pkgs.helloClang}"; PROBE_JQ = "${pkgs.jq}"; };
    serviceConfig = {
      Type = "oneshot";
      ExecStart = "${probe}";
    };
  };
}
