# The fixed-output derivation of node_modules: `npm ci` from package-lock.json
# with no install script run (they need the compilers and headers of the build
# that follows). Its output is a pure function of the lock: the NAR hash of
# the tree npm writes, without npm's own cache of that tree.
set -euo pipefail
export HOME=$TMPDIR npm_config_cache=$TMPDIR/npm-cache
cd "$TMPDIR"
cp "$src/package.json" "$src/package-lock.json" .
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
rm -f node_modules/.package-lock.json
mv node_modules "$out"
