#!/usr/bin/env bash
# Builds SQLite's speedtest1 from the canonical tree: generate the amalgamation,
# then compile it with speedtest1.c. Shared by the Nix packages and the by-hand
# pipeline; only $CC differs (usage: CC="clang-16 -fprofile-use=P" build.sh SRC OUT).
set -euo pipefail
src=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
cc=${CC:-cc}
# The generators (lemon, mkkeywordhash) only write text, so they are built
# without the variant's flags: the Nix cc wrapper then adds nothing.
(
  cd "$src"
  export NIX_CFLAGS_COMPILE='' NIX_LDFLAGS=''
  CC=${BUILD_CC:-cc} ./configure --disable-tcl --disable-readline >configure.log 2>&1 || { cat configure.log >&2; exit 1; }
  make sqlite3.c >make-amalgamation.log 2>&1 || { tail -n 40 make-amalgamation.log >&2; exit 1; }
)
# The options of SQLite's own speedtest1 target (its defaults: thread-safe,
# extensions loadable), as the by-hand anchor the benchmark is compared with.
# Relative source paths: IR PGO names static functions after them, so the
# names do not depend on where the tree was copied (Nix and by hand alike).
cd "$src"
$cc -O2 -DSQLITE_OS_KV_OPTIONAL -I. -o "$out/speedtest1" test/speedtest1.c sqlite3.c -lm -lpthread -ldl
