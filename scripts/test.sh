#!/usr/bin/env bash
# The project's test command (`npm test`): installs what is missing, compiles,
# then runs the unit and the integration tests (real Nix builds, real compilers).
# Nix-level unit tests (expr/expected in nix/tests) run through test/unit/nix-lib.test.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
# Formatting and lint first: a second, and it fails before ten minutes of tests do.
npx biome check .
rm -rf dist
npx tsc -p .
if (($# == 0)); then
  # Only *.test.js: node's runner would otherwise also run every helper under a test/ folder.
  mapfile -t files < <(find dist/test -name '*.test.js' | sort)
  set -- "${files[@]}"
fi
exec node --test --test-concurrency=1 "$@"
