{
  description = "nix-pgo: profile-guided and post-link optimization as a single switch for Nix";

  # Only the `nix-pgo` command needs nixpkgs; the library (`lib`, `overlays`) does not.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      lib = import ./nix { };
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      # The library: enable, enableWith, adapters, withProfiles, flags, ...
      inherit lib;
      overlays.default = lib.overlays.default;

      # The daemon and CLI: `nix build`, `nix profile install`, `nix run . -- --version`.
      packages = forAllSystems (pkgs: rec {
        nix-pgo = pkgs.callPackage ./package.nix { };
        default = nix-pgo;
      });

      # services.nix-pgo (docs/nixos.md), with this flake's package as the daemon's.
      nixosModules.default =
        { pkgs, lib, ... }:
        {
          imports = [ ./nix/nixos-module.nix ];
          services.nix-pgo.package = lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.default;
        };
      homeManagerModules.default =
        { pkgs, lib, ... }:
        {
          imports = [ ./nix/home-manager-module.nix ];
          services.nix-pgo.package = lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.default;
        };

      # The NixOS VM test (needs KVM): `nix build .#checks.x86_64-linux.nixos`.
      checks = forAllSystems (pkgs: {
        nixos = import ./nix/tests/nixos-vm.nix {
          inherit pkgs;
          nix-pgo = self.packages.${pkgs.stdenv.hostPlatform.system}.default;
        };
      });
    };
}
