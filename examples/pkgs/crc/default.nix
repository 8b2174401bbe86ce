# A build that runs its own programs: a code generator compiled and run to
# write table.c, and a check that runs the finished program. In the
# instrumented variant both are instrumented, and the build fails when either
# prints anything on stderr. Built with clang (crc) and GCC (crcGcc).
{ stdenv }:
stdenv.mkDerivation {
  pname = "crc";
  version = "1.0";
  src = ./src;
  doCheck = true;
}
