# A small interpreter whose hot loop calls a large step function from two
# places: the example where PGO clearly pays (the demo measures it). Its
# programs are installed under share/minivm/programs.
#
# `version = "1.1"` is its next release (minivm-1.1.patch: a `jle`
# instruction, so step() changes), for the tests and the guide of what
# nix-pgo does when a package is upgraded.
{ stdenv, version ? "1.0" }:
stdenv.mkDerivation (
  {
    pname = "minivm";
    inherit version;
    src = ./src;
  }
  // (
    if version == "1.0" then { }
    else if version == "1.1" then { postPatch = "patch -p1 < ${./minivm-1.1.patch}"; }
    else throw "minivm: no version ${version} (1.0 and 1.1 exist)"
  )
)
