/**
  Profiles named by a nix-pgo lock file, for pure evaluation: each entry
  becomes the fixed-output derivation of nix/locked-profile.nix. The PGO
  profiles by default; with `bolt = true`, the BOLT profiles.

  # Example

  ```nix
  profiles = import ./nix-pgo/nix/lock.nix { lockFile = ./pgo-lock.json; };
  optimized = pkgs.hello.pgo.optimize profiles.hello;
  boltProfiles = import ./nix-pgo/nix/lock.nix { lockFile = ./pgo-lock.json; bolt = true; };
  ```
*/
{
  lockFile,
  bolt ? false,
}:
let
  lock = builtins.fromJSON (builtins.readFile lockFile);
in
if lock.version or null != 1 then
  throw "nix-pgo: ${toString lockFile} is not a version 1 lock file"
else
  builtins.mapAttrs (import ./locked-profile.nix) (if bolt then lock.boltProfiles or { } else lock.packages)
