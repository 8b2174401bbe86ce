# Profiles named by a nix-pgo lock file, for pure evaluation: each entry
# becomes a fixed-output derivation whose output path is exactly the store path
# the daemon added (same name, hash mode and hash), so Nix uses that path and
# never runs the builder. On a machine without it, the build says how to get it.
#
# Example:
#   profiles = import ./nix-pgo/nix/lock.nix { lockFile = ./pgo-lock.json; };
#   optimized = pkgs.hello.pgo.optimize profiles.hello;
{ lockFile, system ? builtins.currentSystem }:
let
  lock = builtins.fromJSON (builtins.readFile lockFile);
  baseName = path: builtins.substring (builtins.stringLength builtins.storeDir + 34) (builtins.stringLength path) path;
  profileFor =
    name: entry:
    derivation {
      name = baseName entry.storePath;
      inherit system;
      builder = "/bin/sh";
      args = [
        "-c"
        "echo 'nix-pgo: the profile ${entry.storePath} for ${name} is not in this store; copy it here (nix copy) or let the daemon merge one' >&2; exit 1"
      ];
      outputHashMode = entry.hashMode;
      outputHashAlgo = "sha256";
      outputHash = builtins.substring 7 (builtins.stringLength entry.hash) entry.hash;
    };
in
if lock.version or null != 1 then
  throw "nix-pgo: ${toString lockFile} is not a version 1 lock file"
else
  builtins.mapAttrs profileFor lock.packages
