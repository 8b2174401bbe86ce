#!/usr/bin/env bash
# The project's test commands. Two tiers, told apart by the file name alone:
#   test/x/y.int.test.ts  integration: real Nix builds, real compilers and LLVM/GCC tools, the CLI or daemon as processes
#   test/x/y.test.ts      fast: everything else (pure and in-process; seconds for the whole tier)
#
#   scripts/test.sh         (`npm test`, what CI runs): installs what is missing, lint, a clean compile, both tiers
#   scripts/test.sh --fast  (`npm run test:fast`, after each change): an incremental compile, the fast tier
#   either with files (dist/test/x/y.test.js or test/x/y.test.ts): those files only, after the same compile
# Nix-level unit tests (expr/expected in nix/tests) run through test/nix/nix-lib.int.test.ts.
set -euo pipefail
cd "$(dirname "$0")/.."

fast=false
if [[ ${1-} == --fast ]]; then
  fast=true
  shift
fi

scripts/ensure-deps.sh
if $fast; then
  # An incremental build does not emit again an output deleted by hand: then it starts from scratch.
  while IFS= read -r ts; do
    if [[ ! -f dist/${ts%.ts}.js ]]; then
      rm -f dist/tsconfig.tsbuildinfo
      break
    fi
  done < <(find src test bench demo -name '*.ts')
  npx tsc -p . --incremental
  # A test whose source was deleted or renamed must not run from its old compiled file.
  while IFS= read -r js; do
    ts=${js#dist/}
    [[ -f ${ts%.js}.ts ]] || rm -f "$js" "$js.map"
  done < <(find dist/src dist/test dist/bench dist/demo -name '*.js')
else
  # Formatting and lint first: a second, and it fails before minutes of tests do.
  npx biome check .
  rm -rf dist
  # Incremental from scratch: the same output, and the next fast run starts from it.
  npx tsc -p . --incremental
fi

files=()
for file in "$@"; do
  [[ $file == *.ts ]] && file=dist/${file%.ts}.js
  files+=("$file")
done
if ((${#files[@]} == 0)); then
  # Only *.test.js: node's runner would otherwise also run every helper under a test/ folder.
  if $fast; then
    mapfile -t files < <(find dist/test -name '*.test.js' -not -name '*.int.test.js' | sort)
  else
    mapfile -t files < <(find dist/test -name '*.test.js' | sort)
  fi
fi
# Test files are independent (each its own temporary directories, state, Nix profile and salted builds), so they run
# side by side: most of an integration test's time is spent waiting on builds, programs and the daemon's ticks.
exec node --test --test-concurrency=4 "${files[@]}"
