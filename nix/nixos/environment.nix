/**
  Where instrumented programs write: the variables every user and every
  service gets, and the shell code that adds what depends on the user.

  - `variables`: one value for everybody, for login sessions (PAM, shells)
    and system and user services. `LLVM_PROFILE_FILE` sends each clang
    process to a file of its own in `llvm/` (its owner is whose data it is);
    `NIX_PGO_GCDA_ROOT` is where each user's GCC directory is, and
    `GCOV_PREFIX_STRIP=0` keeps the path a GCC build baked in whole below it.
  - `shellInit`: sets `GCOV_PREFIX` to the user's own `gcda/<uid>` in login
    shells (session variables are static, so they cannot hold a uid). A
    service gets it from the instrumented program itself, which sets it from
    `NIX_PGO_GCDA_ROOT` when it starts.
  - `names`: every variable nix-pgo sets, which the daemon's own service must
    not see.

  # Example

  ```nix
  (import ./environment.nix { spoolDir = "/var/spool/nix-pgo"; }).variables
  => { LLVM_PROFILE_FILE = "/var/spool/nix-pgo/llvm/%p-%m.profraw"; GCOV_PREFIX_STRIP = "0"; NIX_PGO_GCDA_ROOT = "/var/spool/nix-pgo/gcda"; }
  ```
*/
{
  spoolDir,
  # The `id` command (an absolute path in the modules).
  id ? "id",
}:
let
  gcdaRoot = "${spoolDir}/gcda";
in
{
  variables = {
    # %p: a file per process (its value profiles stay readable); %m: the
    # executable and each shared library apart. See docs/harvest.md.
    LLVM_PROFILE_FILE = "${spoolDir}/llvm/%p-%m.profraw";
    GCOV_PREFIX_STRIP = "0";
    NIX_PGO_GCDA_ROOT = gcdaRoot;
  };

  # POSIX sh (NixOS' environment.extraInit is shared by every shell): $UID is
  # bash's and zsh's, id -u everyone else's.
  shellInit = ''
    export GCOV_PREFIX="${gcdaRoot}/''${UID:-$(${id} -u)}"
  '';

  names = [ "LLVM_PROFILE_FILE" "GCOV_PREFIX" "GCOV_PREFIX_STRIP" "NIX_PGO_GCDA_ROOT" ];
}
