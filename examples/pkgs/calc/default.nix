# Multi-file C program with a shared library, built with clang.
{ stdenv }:
stdenv.mkDerivation {
  pname = "calc";
  version = "1.0";
  src = ./src;
  env.NIX_CFLAGS_COMPILE = "-DCALC_EXAMPLE=1";
}
