/**
  `../locked-profile.nix` (one lock entry as the fixed-output derivation of
  its profile), usable in pure evaluation too.

  That file takes the derivation's `system` from the entry, which the daemon
  writes into every lock entry, else from `builtins.currentSystem`, which pure
  evaluation (flakes) does not have. So only an entry of an older lock file
  (without `system`) needs one here: in pure evaluation it gets `system` (the
  build platform of the package set); otherwise the entry is used as it is,
  exactly as the daemon uses it, so both give the same derivation.

  # Example

  ```nix
  (import ./locked-profile.nix { system = "x86_64-linux"; }) "sqlite" lock.packages.sqlite
  ```
*/
{
  # The system of the derivation for an entry without one, in pure evaluation.
  system ? null,
  # Whether this evaluation is pure (tests say so to take that branch).
  pure ? !(builtins ? currentSystem),
}:
name: entry:
import ../locked-profile.nix name (
  if !pure || entry ? system then
    entry
  else if system == null then
    throw "nix-pgo: the locked profile of ${name} has no system and a pure evaluation has no builtins.currentSystem; pass one to nix/nixos/locked-profile.nix, or let the daemon lock it again (its entries name their system)"
  else
    entry // { inherit system; }
)
