#!/usr/bin/env bash
# Builds SQLite's speedtest1 from the canonical tree: generate the amalgamation,
# then compile it with speedtest1.c. Shared by the Nix packages and the by-hand
# pipeline; only $CC differs (usage: CC="clang-16 -fprofile-use=P" build.sh SRC OUT).
set -euo pipefail
src=$(cd "$1" && pwd) out=$2
cc=${CC:-cc}
mkdir -p "$out"
# The generators (lemon, mkkeywordhash) only write text, so they are built
# without the variant's flags: the Nix cc wrapper then adds nothing.
(
  cd "$src"
  export NIX_CFLAGS_COMPILE='' NIX_LDFLAGS=''
  CC=${BUILD_CC:-cc} ./configure --disable-tcl --disable-readline >configure.log 2>&1 || { cat configure.log >&2; exit 1; }
  make sqlite3.c >make-amalgamation.log 2>&1 || { tail -n 40 make-amalgamation.log >&2; exit 1; }
)
# The options of SQLite's own speedtest1 target, single-threaded as its docs advise.
$cc -O2 -DSQLITE_OS_KV_OPTIONAL -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION \
  -I"$src" -o "$out/speedtest1" "$src/test/speedtest1.c" "$src/sqlite3.c" -lm
