# The example package set: small programs on the host's clang 16 and GCC 12,
# each PGO-capable through the nix-pgo library.
#
#   nix-build examples -A calc.pgo.profile
#   nix-build examples -A calc.pgo.optimized --arg pgoProfiles '{ calc = ./calc.profdata; }'
#   nix-build examples -A calcBolt.pgo.boltOptimized --arg pgoProfiles '{ calcBolt = …; }' --arg boltProfiles '{ calcBolt = ./calc-bolt; }'
{
  # Selected profiles by attribute name (a path, or a store path string).
  pgoProfiles ? { },
  # Selected BOLT profiles (directories of <build id>.fdata files) by attribute name.
  boltProfiles ? { },
  nix-pgo ? import ../nix { },
}:
let
  stdenvs = import ./stdenv { };
  enable = name: drv: nix-pgo.enableWith { profile = pgoProfiles.${name} or null; } drv;
  # PGO, then BOLT on the PGO-optimized output, with the host's BOLT 16.
  enableBolt =
    name: drv:
    nix-pgo.enableWith {
      profile = pgoProfiles.${name} or null;
      bolt = true;
      boltTools = import ./stdenv/bolt.nix { };
      boltProfile = boltProfiles.${name} or null;
      # The outputs must not change: BOLT puts a file back when this prints something else.
      smokeTest = "$out/bin/calc 7";
    } drv;
in
{
  inherit (stdenvs) clangStdenv gccStdenv;
  calc = enable "calc" (import ./pkgs/calc { stdenv = stdenvs.clangStdenv; });
  calcBolt = enableBolt "calcBolt" (import ./pkgs/calc { stdenv = stdenvs.clangStdenv; });
  wordfreq = enable "wordfreq" (import ./pkgs/wordfreq { stdenv = stdenvs.gccStdenv; });
  strict = enable "strict" (import ./pkgs/strict { stdenv = stdenvs.clangStdenv; });
  # The same package on both compilers: its build runs programs it just built.
  crc = enable "crc" (import ./pkgs/crc { stdenv = stdenvs.clangStdenv; });
  crcGcc = enable "crcGcc" (import ./pkgs/crc { stdenv = stdenvs.gccStdenv; });
  # An interpreter where PGO clearly pays: the demo measures it.
  minivm = enable "minivm" (import ./pkgs/minivm { stdenv = stdenvs.clangStdenv; });
  # A long-running program (one unit of work per line or tick, optionally
  # forking a worker): ticker collects at exit; tickerLive continuously, in a
  # live file that is current while it runs (collection = "continuous").
  ticker = enable "ticker" (import ./pkgs/ticker { stdenv = stdenvs.clangStdenv; });
  tickerLive = nix-pgo.enableWith {
    profile = pgoProfiles.tickerLive or null;
    collection = "continuous";
  } (import ./pkgs/ticker { stdenv = stdenvs.clangStdenv; });
}
