/**
  One locked profile as a fixed-output derivation: its output path is exactly
  the store path nix-pgo added (same name, hash mode and hash), so Nix uses
  that path and never runs the builder. The daemon builds with this same
  function, so a later evaluation from the lock file gives the same
  derivation.

  The derivation's `system` is the entry's `system` (the daemon writes it,
  e.g. "x86_64-linux"), so a pure evaluation (flakes), which has no
  `builtins.currentSystem`, gives the same derivation too. Entries of older
  lock files have none: then `builtins.currentSystem`, as before.

  # Example

  ```nix
  import ./locked-profile.nix "hello" { storePath = "/nix/store/…-pgo-hello.profdata"; hashMode = "flat"; hash = "sha256:…"; system = "x86_64-linux"; }
  ```
*/
name:
{ storePath, hashMode, hash, ... }@entry:
let
  prefixLength = builtins.stringLength builtins.storeDir + 34;
  parts = builtins.match "([a-z0-9]+):(.*)" hash;
in
if parts == null then
  throw "nix-pgo: the locked profile of ${name} has a malformed hash: ${hash}"
else
  derivation {
    name = builtins.substring prefixLength (builtins.stringLength storePath) storePath;
    system = entry.system or builtins.currentSystem;
    builder = "/bin/sh";
    # The names reach the shell as variables, never as code.
    args = [
      "-c"
      ''echo "nix-pgo: the profile $profilePath for $package is not in this Nix store; copy it here (nix copy) or let the daemon merge one" >&2; exit 1''
    ];
    profilePath = storePath;
    package = name;
    outputHashMode = hashMode;
    outputHashAlgo = builtins.elemAt parts 0;
    outputHash = builtins.elemAt parts 1;
  }
