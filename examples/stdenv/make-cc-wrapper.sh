# Builds $out/bin/{cc,c++,clang|gcc}: wrappers that apply NIX_CFLAGS_COMPILE and NIX_LDFLAGS.
set -eu
mkdir -p "$out/bin"
cat >"$out/bin/cc" <<WRAPPER
#!/bin/bash
link=1
for a in "\$@"; do
  case "\$a" in -c | -S | -E | -M | -MM) link=0 ;; esac
done
ldflags=()
if [[ \$link == 1 ]]; then
  for f in \${NIX_LDFLAGS:-}; do ldflags+=("-Wl,\$f"); done
fi
exec $compiler \${NIX_CFLAGS_COMPILE:-} "\$@" "\${ldflags[@]}"
WRAPPER
chmod +x "$out/bin/cc"
for n in c++ clang gcc; do ln -s cc "$out/bin/$n"; done
