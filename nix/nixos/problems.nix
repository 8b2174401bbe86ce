/**
  The assertion messages for the names `services.nix-pgo.packages` cannot
  manage (`nixPgo.problems` of overlay.nix): each names the option and the
  fix.

  # Example

  ```nix
  import ./problems.nix { names = [ "emacs" "hello" ]; close = a: b: …; } "emcas" { kind = "missing"; }
  => "services.nix-pgo.packages: pkgs has no package named \"emcas\" (did you mean \"emacs\"?); correct the name or remove it from services.nix-pgo.packages"
  ```
*/
{
  # The names of pkgs, for "did you mean".
  names ? [ ],
  # Whether two lowercase names are close (e.g. lib.strings.levenshteinAtMost 2).
  close ? a: b: false,
  option ? "services.nix-pgo.packages",
}:
name: problem:
let
  inherit (builtins) concatStringsSep filter genList length map substring;

  lower = (import ../helpers.nix).toLower;
  wanted = lower name;
  # Same first letter first: cheap, and a typo rarely is there.
  candidates = filter (n: substring 0 1 (lower n) == substring 0 1 wanted && close wanted (lower n)) names;
  first3 = l: genList (i: builtins.elemAt l i) (if length l < 3 then length l else 3);
  suggestion = if candidates == [ ] then "" else " (did you mean ${concatStringsSep ", " (map (n: ''"${n}"'') (first3 candidates))}?)";
  remove = ''remove "${name}" from ${option}'';
  # Where the package's enableWith options are, for problems of an option.
  enableWith = "${builtins.substring 0 (builtins.stringLength option - 9) option}.enableWith.${name}";
in
if problem.kind == "continuous-gcc" then
  ''${enableWith}.collection: pkgs.${name} is built with GCC, and collection = "continuous" needs clang (libgcov writes profiles only when a program exits); remove collection = "continuous" from ${enableWith} (its programs then contribute when they exit), or build ${name} with clang''
else
"${option}: "
+ {
  missing = ''pkgs has no package named "${name}"${suggestion}; correct the name or remove it from ${option}'';
  not-a-package = ''pkgs.${name} is not a package (it is a ${problem.type or "value"}); name a package such as "sqlite" (a package inside a set, like python3Packages.numpy, cannot be managed)'';
  no-overrideAttrs = ''pkgs.${name} has no overrideAttrs, so nix-pgo cannot make its variants; name a package built with stdenv.mkDerivation'';
  no-compiler = ''pkgs.${name} is not built with clang or GCC (its stdenv has no C compiler); nix-pgo only optimizes compiled C/C++ code: ${remove}'';
  unsupported-compiler = ''pkgs.${name} is built with ${problem.compiler or "a compiler"}, not clang or GCC; ${remove}'';
  fails = ''evaluating pkgs.${name} fails (a removed or broken package); ${remove}'';
  not-compiled = ''pkgs.${name} compiles no C/C++ of its own (${problem.language}), so it has nothing to instrument and its profiling build would fail; nix-pgo only optimizes C/C++ programs: ${remove}'';
}.${problem.kind}
