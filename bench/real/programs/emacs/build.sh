#!/usr/bin/env bash
# Builds a terminal-only Emacs (no X, no optional libraries, no native
# compilation) from Debian's source tree and installs it into OUT. Shared by
# the Nix packages and the by-hand pipeline, so both configure and compile
# with the same flags; only $CC differs
# (usage: CC="clang-16 -fprofile-use=P" build.sh SRC OUT).
#
# Debian's tree (`apt-get source emacs`, its patches applied) has no
# configure script: autogen.sh makes it (autoconf, automake). Its doc/emacs
# and doc/lispref are gone, and Debian's own patches drop them from
# configure and do without admin/unidata's IVD_Sequences.txt (macuvs.h);
# the manuals left in doc/misc need makeinfo (texinfo).
#
# Emacs runs the programs it has just built while it builds (temacs dumps
# itself, then byte-compiles its Lisp files, about 1,500 processes); in an
# instrumented build they are instrumented too. $CC is not recorded by
# Emacs, CFLAGS is (system-configuration-options): the variant's flags stay
# out of CFLAGS, so no variant's binary names its profile.
set -euo pipefail
src=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
cc=${CC:-cc}
jobs=${NIX_BUILD_CORES:-0}
((jobs > 0)) || jobs=$(nproc)
cd "$src"
./autogen.sh autoconf
CC=$cc ./configure --prefix="$out" --without-all --without-x --without-compress-install CFLAGS=-O2
# -Werror on Emacs' own C files (src, lib, lib-src: not configure's tests):
# hash-mismatch warnings of a profile (the lib-src programs share `main` with
# emacs) must not fail a build that treats warnings as errors. clang 16
# warns about six constant conversions in any build; they stay warnings.
make -j"$jobs" WERROR_CFLAGS="-Werror -Wno-error=implicit-const-int-float-conversion"
make install
