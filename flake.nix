{
  description = "nix-pgo: profile-guided and post-link optimization as a single switch for Nix";

  outputs =
    { self }:
    let
      lib = import ./nix { };
    in
    {
      # The library: enable, enableWith, adapters, withProfiles, flags, ...
      inherit lib;
      overlays.default = lib.overlays.default;
    };
}
