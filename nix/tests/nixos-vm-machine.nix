/**
  The machine of the NixOS VM test (nixos-vm.nix). Inside the VM it is also
  the machine's own `nixos-config` (with the daemon's lock file), so the
  daemon there evaluates the system as `nixos-rebuild` would.

  Two managed packages: GNU hello built with clang (IR PGO) and jq (GCC,
  gcda trees); two users; a service whose sandbox makes the spool read-only.
*/
{ pkgs, ... }:
{
  imports = [ ../nixos-module.nix ];

  # A clang-built program: nixpkgs builds with GCC on Linux.
  nixpkgs.overlays = [ (final: prev: { helloClang = prev.hello.override { stdenv = final.clangStdenv; }; }) ];

  services.nix-pgo = {
    packages = [ "helloClang" "jq" ];
    # The first harvest is enough.
    thresholdMB = 0.0001;
  };

  environment.systemPackages = [ pkgs.helloClang pkgs.jq pkgs.acl ];

  users.users.alice = { isNormalUser = true; uid = 1000; };
  users.users.bob = { isNormalUser = true; uid = 1001; };

  # DynamicUser implies ProtectSystem=strict: the module gives it the spool.
  systemd.services.sandboxed-hello = {
    serviceConfig = {
      Type = "oneshot";
      DynamicUser = true;
      ExecStart = "${pkgs.helloClang}/bin/hello";
    };
  };
}
