# A -Werror build that sets a top-level NIX_CFLAGS_COMPILE (not env.*).
{ stdenv }:
stdenv.mkDerivation {
  pname = "strict";
  version = "0.3";
  src = ./src;
  NIX_CFLAGS_COMPILE = "-DSTRICT_EXAMPLE=1";
}
