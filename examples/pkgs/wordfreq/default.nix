# C program built with GCC (gcda profile trees).
{ stdenv }:
stdenv.mkDerivation {
  pname = "wordfreq";
  version = "2.1";
  src = ./src;
  env.NIX_CFLAGS_COMPILE = "-DWORDFREQ_EXAMPLE=1";
}
