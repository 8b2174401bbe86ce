/**
  `../locked-profile.nix` (one lock entry as the fixed-output derivation of
  its profile), usable in pure evaluation too.

  That file takes the derivation's `system` from `builtins.currentSystem`,
  which pure evaluation (flakes) does not have. There it is evaluated with
  `currentSystem` set to `system` (the build platform of the package set);
  otherwise it is imported as it is, exactly as the daemon imports it, so both
  give the same derivation.

  # Example

  ```nix
  (import ./locked-profile.nix { system = "x86_64-linux"; }) "sqlite" lock.packages.sqlite
  ```
*/
{
  # The system of the derivation when builtins.currentSystem is missing.
  system ? null,
  # Whether this evaluation is pure (tests say so to take that branch).
  pure ? !(builtins ? currentSystem),
}:
name: entry:
if !pure then
  import ../locked-profile.nix name entry
else if system == null then
  throw "nix-pgo: the locked profile of ${name} needs a system in pure evaluation; pass one to nix/nixos/locked-profile.nix"
else
  # scopedImport is the only way to give one file a different `builtins`.
  builtins.scopedImport { builtins = builtins // { currentSystem = system; }; } ../locked-profile.nix name entry
