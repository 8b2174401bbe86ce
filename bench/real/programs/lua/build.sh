#!/usr/bin/env bash
# Builds the Lua interpreter from an upstream tree with the flags of upstream's
# `make linux`. Shared by the Nix packages and the by-hand pipeline, so both
# compile the same files with the same flags; only $CC differs
# (usage: CC="clang-16 -fprofile-generate" build.sh SRC OUT).
set -euo pipefail
src=$(cd "$1" && pwd)
mkdir -p "$2/obj"
out=$(cd "$2" && pwd)
cc=${CC:-cc}
cflags=(-std=gnu99 -O2 -Wall -Wextra -DLUA_COMPAT_5_3 -DLUA_USE_LINUX -I"$out/include")
# Debian's luaconf.h patch includes a header that debian/rules would generate.
mkdir -p "$out/include"
echo "#define DEB_HOST_MULTIARCH \"$(uname -m)-linux-gnu\"" >"$out/include/lua5.4-deb-multiarch.h"
objects=()
# Relative source paths: IR PGO names static functions after them, so the
# names do not depend on where the tree was copied (Nix and by hand alike).
cd "$src/src"
for file in *.c; do
  name=$(basename "$file" .c)
  # luac is a second program; the interpreter does not link it.
  [[ $name == luac ]] && continue
  $cc "${cflags[@]}" -c "$file" -o "$out/obj/$name.o"
  objects+=("$out/obj/$name.o")
done
$cc -o "$out/lua" "${objects[@]}" -lm -ldl -Wl,-E
