# A long-running program with a shared library, built with clang: one unit of
# work per line of stdin (or per tick with -n), until stdin closes or a signal
# arrives; -f/-F fork a child that keeps working. `tickerLive` in the example
# set enables it with collection = "continuous".
{ stdenv }:
stdenv.mkDerivation {
  pname = "ticker";
  version = "1.0";
  src = ./src;
  # The check runs the freshly built program: in the profiling variants it
  # must write nowhere outside the build and print nothing on stderr.
  doCheck = true;
}
