#!/usr/bin/env bash
# The main job, by hand for now: build an example's profiling variant, run a
# training workload, merge the profile with the manifest's own tool, build the
# optimized variant with it and compare it with the vanilla build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh

work=$(mktemp -d -t nix-pgo-demo-XXXXXX)
nixbuild() { nix-build --option substituters '' "$@"; }
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "building calc (vanilla) and its instrumented variant calc.pgo.profile"
vanilla=$(nixbuild examples -A calc -o "$work/vanilla" 2>"$work/build.log" | tail -n 1)
profiling=$(nixbuild examples -A calc.pgo.profile -o "$work/profiling" 2>>"$work/build.log" | tail -n 1)
echo "vanilla:   $vanilla"
echo "profiling: $profiling"
echo "manifest:  $profiling/nix-support/pgo.json"
mergeTool=$(sed -n 's/.*"mergeTool": "\(.*\)",/\1/p' "$profiling/nix-support/pgo.json")

step "training: running the instrumented calc (profiles go to \$LLVM_PROFILE_FILE)"
export LLVM_PROFILE_FILE="$work/raw/%m.profraw"
for scale in 1 2 3; do "$profiling/bin/calc" "$scale" >/dev/null; echo "run: calc $scale"; done
unset LLVM_PROFILE_FILE
ls -l "$work/raw"

step "merging with the manifest's merge tool ($mergeTool)"
"$mergeTool" merge -o "$work/calc.profdata" "$work"/raw/*.profraw
"$mergeTool" show "$work/calc.profdata" | head -n 4

step "building the optimized variant: calc.pgo.optimized with the merged profile"
optimized=$(nixbuild examples -A calc.pgo.optimized --arg pgoProfiles "{ calc = $work/calc.profdata; }" \
  -o "$work/optimized" 2>>"$work/build.log" | tail -n 1)
echo "optimized: $optimized"

step "same output, then speed (median of 9 interleaved runs of calc 100)"
if [[ "$("$vanilla/bin/calc" 2)" != "$("$optimized/bin/calc" 2)" ]]; then
  echo "nix-pgo: the optimized calc prints something else than the vanilla one" >&2
  exit 1
fi
echo "outputs are identical"
millis() { local s e; s=$(date +%s%N); "$1" 100 >/dev/null; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
vs=() os=()
for _ in 1 2 3 4 5 6 7 8 9; do vs+=("$(millis "$vanilla/bin/calc")"); os+=("$(millis "$optimized/bin/calc")"); done
median() { printf '%s\n' "$@" | sort -n | sed -n 5p; }
v=$(median "${vs[@]}"); o=$(median "${os[@]}")
echo "vanilla ${v} ms, optimized ${o} ms, ratio $(awk "BEGIN{printf \"%.3f\", $v / $o}") (timings on a shared machine are noisy)"
echo
echo "build logs: $work/build.log"
