#!/usr/bin/env bash
# Builds the Lua interpreter from an upstream tree with the flags of upstream's
# `make linux`. Shared by the Nix packages and the by-hand pipeline, so both
# compile the same files with the same flags; only $CC differs
# (usage: CC="clang-16 -fprofile-generate" build.sh SRC OUT).
set -euo pipefail
src=$1 out=$2
cc=${CC:-cc}
mkdir -p "$out/obj"
cflags=(-std=gnu99 -O2 -Wall -Wextra -DLUA_COMPAT_5_3 -DLUA_USE_LINUX -I"$out/include")
# Debian's luaconf.h patch includes a header that debian/rules would generate.
mkdir -p "$out/include"
echo "#define DEB_HOST_MULTIARCH \"$(uname -m)-linux-gnu\"" >"$out/include/lua5.4-deb-multiarch.h"
objects=()
for file in "$src"/src/*.c; do
  name=$(basename "$file" .c)
  # luac is a second program; the interpreter does not link it.
  [[ $name == luac ]] && continue
  $cc "${cflags[@]}" -c "$file" -o "$out/obj/$name.o"
  objects+=("$out/obj/$name.o")
done
$cc -o "$out/lua" "${objects[@]}" -lm -ldl -Wl,-E
