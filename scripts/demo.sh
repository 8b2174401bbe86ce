#!/usr/bin/env bash
# The main job (`npm run demo`): installs what is missing, compiles, then runs
# the whole loop through the real daemon on the example package set.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
npx tsc -p .
exec node dist/demo/run-demo.js "$@"
