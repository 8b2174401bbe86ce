/**
  Profiles named by a nix-pgo lock file, for pure evaluation: each entry
  becomes the fixed-output derivation of nix/locked-profile.nix.

  # Example

  ```nix
  profiles = import ./nix-pgo/nix/lock.nix { lockFile = ./pgo-lock.json; };
  optimized = pkgs.hello.pgo.optimize profiles.hello;
  ```
*/
{ lockFile }:
let
  lock = builtins.fromJSON (builtins.readFile lockFile);
in
if lock.version or null != 1 then
  throw "nix-pgo: ${toString lockFile} is not a version 1 lock file"
else
  builtins.mapAttrs (import ./locked-profile.nix) lock.packages
