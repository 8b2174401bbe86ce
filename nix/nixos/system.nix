/**
  The Nix file the daemon builds from when a module manages it: the managed
  packages of a configuration's own `pkgs`, evaluated the way its next
  rebuild will evaluate them.

  For each managed NAME it gives `pkgs.nixPgo.packages.NAME` (the package as
  declared, made PGO-capable, see overlay.nix) with `pgo.optimized` set to
  `pgo.optimize pgoProfiles.NAME`. So

  - `NAME.pgo.profile` is the derivation the overlay substitutes while no
    profile for NAME is locked, and
  - `NAME.pgo.optimized` with `pgoProfiles.NAME = import nix/locked-profile.nix
    NAME ENTRY` is the derivation it substitutes once ENTRY is locked, and
  - with BOLT, `NAME.pgo.boltOptimized` with both profiles is the one it
    substitutes once the BOLT profile is locked too (`NAME.pgo.boltProfile`,
    the BOLT-instrumented variant, is only ever in the daemon's profile):

  the same `.drv` files, so the next `nixos-rebuild` (or `home-manager
  switch`) finds them built.

  The modules write a small file that calls this one with `evaluated` (see
  system-file.nix); the daemon passes `pgoProfiles`.

  # Example

  ```nix
  import ./system.nix {
    evaluated = import <nixpkgs/nixos> { };
    pgoProfiles.sqlite = import ../locked-profile.nix "sqlite" lock.packages.sqlite;
  }
  => { sqlite = «derivation» // { pgo = { profile = …; optimized = …; … }; }; }
  ```
*/
{
  # NAME -> profile, as the daemon passes it (--arg pgoProfiles '{ … }').
  pgoProfiles ? { },
  # NAME -> BOLT profile (--arg boltProfiles '{ … }'), for the BOLT-optimized variant.
  boltProfiles ? { },
  # The evaluated configuration: `import <nixpkgs/nixos> { }`, a flake's
  # nixosConfigurations.HOST or homeConfigurations.USER: anything with `pkgs`
  # (or an evalModules result, with `_module.args.pkgs`).
  evaluated,
  # What `evaluated` is, for messages.
  how ? "the configuration",
}:
let
  pkgs =
    evaluated.pkgs or evaluated._module.args.pkgs
      or (throw "nix-pgo: ${how} has no pkgs attribute; the daemon needs that configuration's own pkgs");
  nixPgo =
    pkgs.nixPgo
      or (throw "nix-pgo: ${how} does not use the nix-pgo module (its pkgs has no nixPgo attribute); the daemon can only build what the module manages there");
in
builtins.mapAttrs (
  name: pkg:
  let
    noProfile = throw "nix-pgo: no profile was selected for ${name}; pass one (--arg pgoProfiles '{ ${name} = …; }')";
    # BOLT works on the PGO-optimized variant of the selected profile: the same derivation as `optimized`.
    selected = if pgoProfiles ? ${name} then pkg.pgo.select { profile = pgoProfiles.${name}; boltProfile = boltProfiles.${name} or null; } else noProfile;
  in
  pkg
  // {
    pgo = pkg.pgo // {
      optimized = if pgoProfiles ? ${name} then pkg.pgo.optimize pgoProfiles.${name} else noProfile;
      boltProfile = selected.boltProfile;
      boltOptimized = selected.boltOptimized;
    };
  }
) nixPgo.packages
