# A small interpreter whose hot loop calls a large step function from two
# places: the example where PGO clearly pays (the demo measures it). Its
# programs are installed under share/minivm/programs.
{ stdenv }:
stdenv.mkDerivation {
  pname = "minivm";
  version = "1.0";
  src = ./src;
}
