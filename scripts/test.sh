#!/usr/bin/env bash
# The project's test command (`npm test`): installs what is missing, compiles,
# then runs the unit and the integration tests (real Nix builds, real compilers).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
npx tsc -p .
# Nix-level unit tests (expr/expected) run through the same runner, from test/unit/nix-lib.test.ts.
exec node --test --test-concurrency=1 "${@:-dist/test/}"
