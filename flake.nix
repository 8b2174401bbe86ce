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
    };
}
