/**
  Where instrumented programs write: the one variable every user and every
  service gets, for login sessions (PAM, shells) and system and user
  services alike. `NIX_PGO_SPOOL` names the spool; each program's startup
  object finds its own user's directory below it (see docs/harvest.md), so
  the value holds nothing per user and nothing a service manager expands
  (no `%`).

  - `variables`: the variables to set.
  - `names`: every variable that tells a program where to write profiles,
    which the daemon's own service must not see (the last three are no
    longer set by nix-pgo, but a user may set them).

  # Example

  ```nix
  (import ./environment.nix { spoolDir = "/var/spool/nix-pgo"; }).variables
  => { NIX_PGO_SPOOL = "/var/spool/nix-pgo"; }
  ```
*/
{ spoolDir }:
{
  variables = {
    NIX_PGO_SPOOL = spoolDir;
  };

  names = [ "NIX_PGO_SPOOL" "LLVM_PROFILE_FILE" "GCOV_PREFIX" "GCOV_PREFIX_STRIP" "NIX_PGO_GCDA_ROOT" ];
}
