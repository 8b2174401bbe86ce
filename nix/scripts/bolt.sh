# Shell functions of the BOLT variants (nix/bolt.nix). Both variants start from
# a copy of the PGO-optimized outputs and rewrite their ELF files with
# llvm-bolt, file by file; a file BOLT refuses (or that fails the smoke test)
# stays the PGO file, and the manifest says why.
#
# Variables set by nix/bolt.nix:
#   boltKind          bolt-profile (instrumented) | bolt-optimized
#   boltInputs        "OUTPUT=STOREPATH ..." of the PGO-optimized derivation
#   boltTool          llvm-bolt; boltMergeTool: merge-fdata of the same BOLT
#   boltFlags         llvm-bolt flags common to every file of this variant
#   boltDir           (instrumented) the directory baked into every file: the spool's bolt/
#   boltPadding       (instrumented) the slashes baked between boltDir and the build ID
#   boltDumpInterval  (instrumented) seconds between dumps, or ""
#   boltProfile       (optimized) a directory of .fdata files
#   boltSmokeTest     shell code run against the PGO tree and this tree, or ""
#   boltPgoProfile    the PGO-optimized derivation's profile, or ""
#   pgoManifestLayout, pgoManifestWriter: the manifest (nix/manifest.nix)
#
# nix/bolt.nix sources pgo.sh first: pgoOutputs and the manifest's writer come from there.

boltFail() {
    echo "nix-pgo: $*" >&2
    exit 1
}

boltPackageName() {
    echo "${pname:-${name:-unknown}}${version:+ ${version}}"
}

# $1 on one line: BOLT's messages (fallback reasons) span lines.
boltOneLine() {
    local s=$1
    s=${s//$'\t'/ }
    s=${s//$'\n'/ }
    s=${s//$'\r'/ }
    printf '%s' "$s"
}

boltOutputPath() {
    local want=$1 o p
    while read -r o p; do
        if [[ "$o" == "$want" ]]; then echo "$p"; return 0; fi
    done < <(pgoOutputs)
    return 1
}

# Copies every output of the PGO-optimized derivation to the same output of
# this one, with every reference to one of those outputs rewritten to the
# corresponding new output (names are equal, so are the lengths: the bytes of
# ELF files keep their layout, as with system.replaceDependencies). Without
# this, bin/calc of the new output would still load lib/libcalc.so of the
# PGO-optimized output through its RUNPATH.
boltCopyOutputs() {
    local pair o old new oldBase newBase f target
    local -a seds=()
    for pair in $boltInputs; do
        o=${pair%%=*}
        old=${pair#*=}
        new=$(boltOutputPath "$o") || boltFail "$(boltPackageName): the PGO-optimized derivation has an output '$o' that this derivation lacks"
        oldBase=$(basename "$old")
        newBase=$(basename "$new")
        [[ ${#oldBase} -eq ${#newBase} ]] || boltFail "$(boltPackageName): output $o is named differently from the PGO-optimized one ($oldBase, $newBase)"
        seds+=(-e "s|${oldBase//./\\.}|${newBase}|g")
    done
    for pair in $boltInputs; do
        o=${pair%%=*}
        old=${pair#*=}
        new=$(boltOutputPath "$o")
        if [[ -d "$old" ]]; then
            mkdir -p "$new"
            cp -a --no-preserve=ownership "$old/." "$new/"
        else
            cp -a --no-preserve=ownership "$old" "$new"
        fi
        chmod -R u+w "$new"
    done
    local -a greps=()
    for pair in $boltInputs; do greps+=(-e "$(basename "${pair#*=}")"); done
    for pair in $boltInputs; do
        o=${pair%%=*}
        new=$(boltOutputPath "$o")
        while IFS= read -r -d '' f; do
            if [[ -L "$f" ]]; then
                target=$(readlink "$f")
                local rewritten
                rewritten=$(printf '%s' "$target" | LC_ALL=C sed "${seds[@]}")
                if [[ "$rewritten" != "$target" ]]; then ln -sfn "$rewritten" "$f"; fi
            elif [[ -f "$f" ]] && LC_ALL=C grep -q -a -F "${greps[@]}" "$f"; then
                LC_ALL=C sed -i "${seds[@]}" "$f"
            fi
        done < <(find "$new" \( -type f -o -type l \) -print0)
    done
    # The PGO manifest describes the PGO-optimized output; ours replaces it.
    rm -f "${out:?}/$pgoManifestFile"
}

# Is $1 an ELF executable or shared object with loadable segments (what BOLT
# rewrites)? Object files, archives and other files are left alone.
boltIsCandidate() {
    local f=$1 readelf=${READELF:-readelf}
    [[ -f "$f" && ! -L "$f" ]] || return 1
    [[ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')" == 7f454c46 ]] || return 1
    local header segments
    header=$("$readelf" -h "$f" 2>/dev/null) || return 1
    [[ "$header" =~ Type:[[:space:]]+(EXEC|DYN) ]] || return 1
    segments=$("$readelf" -l -W "$f" 2>/dev/null) || return 1
    [[ "$segments" == *"  LOAD "* ]]
}

boltBuildId() {
    local notes
    notes=$("${READELF:-readelf}" -n "$1" 2>/dev/null || true)
    sed -n '/^ *Build ID: */{s/^ *Build ID: *\([0-9a-fA-F]*\).*/\1/p;q}' <<<"$notes"
}

# Every candidate as "OUTPUT<TAB>RELATIVE PATH", sorted, so that the files'
# numbers (and the manifest) do not depend on the file system.
boltCandidates() {
    local o p f
    while read -r o p; do
        [[ -d "$p" ]] || continue
        while IFS= read -r -d '' f; do
            if boltIsCandidate "$f"; then printf '%s\t%s\n' "$o" "${f#"$p"/}"; fi
        done < <(find "$p" -type f -print0 | sort -z)
    done < <(pgoOutputs | sort)
}

# Runs llvm-bolt in its own directory on relative names, so that nothing of
# the build's paths reaches its messages. Usage: boltRun LOG INPUT OUTPUT ARGS...
# On failure sets boltLastReason to the reason it gives.
boltRun() {
    local log=$1 input=$2 output=$3 status
    shift 3
    local work
    work=$(mktemp -d "$TMPDIR/bolt-run.XXXXXX")
    cp "$input" "$work/input"
    status=0
    (cd "$work" && "$boltTool" input -o output $boltFlags "$@") >"$log.stdout" 2>"$log.stderr" || status=$?
    cat "$log.stdout" "$log.stderr"
    if [[ $status -eq 0 && -s "$work/output" ]]; then
        mv "$work/output" "$output"
        rm -rf "$work"
        return 0
    fi
    local last
    last=$(grep -E 'ERROR|error|: ' "$log.stderr" | tail -n 1 || true)
    [[ -n "$last" ]] || last=$(tail -n 1 "$log.stderr" || true)
    last=${last//"$boltTool: "/}
    last=${last//"'input': "/}
    if [[ $status -eq 0 ]]; then
        boltLastReason="llvm-bolt wrote no output${last:+: $last}"
    elif [[ $status -gt 128 ]]; then
        boltLastReason="llvm-bolt crashed (signal $((status - 128)))${last:+: $last}"
    else
        boltLastReason="llvm-bolt refused it (exit $status)${last:+: $last}"
    fi
    rm -rf "$work"
    return 1
}

# The smoke test: the package's own shell code, run in a fresh directory with
# each output variable ($out, $lib, ...) pointing at the tree under test, its
# stdin empty, for at most boltSmokeTimeout seconds. Prints "STATUS SHA256" of
# its exit status and standard output. Usage: boltSmokeRun PREFIX where PREFIX
# is "pgo" (the PGO-optimized outputs) or "new" (this derivation's outputs).
boltSmokeRun() {
    local which=$1 dir pair o p status
    dir=$(mktemp -d "$TMPDIR/bolt-smoke.XXXXXX")
    local -a assigns=()
    if [[ "$which" == pgo ]]; then
        for pair in $boltInputs; do assigns+=("${pair%%=*}=${pair#*=}"); done
    else
        while read -r o p; do assigns+=("$o=$p"); done < <(pgoOutputs)
    fi
    status=0
    (cd "$dir" && env "${assigns[@]}" timeout "${boltSmokeTimeout:-120}" bash -e -c "$boltSmokeTest") \
        </dev/null >"$dir.stdout" 2>"$dir.stderr" || status=$?
    echo "$status $(sha256sum <"$dir.stdout" | cut -d ' ' -f 1)"
    if [[ -n "${boltSmokeVerbose:-}" ]]; then
        echo "smoke test ($which): exit $status" >&2
        head -c 2000 "$dir.stderr" >&2
    fi
    rm -rf "$dir" "$dir.stdout" "$dir.stderr"
}

# Puts version $2 ("pgo" or "bolt") of file number $1 in place.
boltInstall() {
    local i=$1 which=$2
    cp -f "$TMPDIR/bolt-files/$i.$which" "${boltPath[$i]}"
    chmod "$(stat -c %a "$TMPDIR/bolt-files/$i.pgo")" "${boltPath[$i]}"
}

# With a smoke test: finds the BOLT files that make it differ from the PGO
# tree (alone, then together) and puts the PGO file back for each, with the
# reason. Sets boltSmokeResult ("" when there is no smoke test).
boltSmokeCheck() {
    local reference i result
    boltSmokeResult=""
    [[ -n "${boltSmokeTest:-}" ]] || return 0
    local -a bolted=()
    for i in "${!boltPath[@]}"; do
        if [[ "${boltOutcome[$i]}" != fallback ]]; then bolted+=("$i"); fi
    done
    [[ ${#bolted[@]} -gt 0 ]] || { boltSmokeResult="not run: no file was rewritten"; return 0; }
    echo "nix-pgo: running the smoke test on the PGO-optimized outputs"
    reference=$(boltSmokeRun pgo)
    echo "nix-pgo: the smoke test on the PGO-optimized outputs gives exit status ${reference%% *}"
    for i in "${bolted[@]}"; do boltInstall "$i" bolt; done
    result=$(boltSmokeRun new)
    if [[ "$result" == "$reference" ]]; then
        boltSmokeResult=passed
        return 0
    fi
    echo "nix-pgo: the smoke test differs with every file rewritten (exit ${result%% *}, PGO: ${reference%% *}); trying each file alone"
    local -a survivors=()
    for i in "${bolted[@]}"; do boltInstall "$i" pgo; done
    for i in "${bolted[@]}"; do
        boltInstall "$i" bolt
        result=$(boltSmokeRun new)
        boltInstall "$i" pgo
        if [[ "$result" == "$reference" ]]; then
            survivors+=("$i")
        else
            boltOutcome[$i]=fallback
            if [[ "${result%% *}" != "${reference%% *}" ]]; then
                local got=${result%% *} signal=""
                if [[ $got -gt 128 && $got -lt 160 ]]; then signal=" (killed by signal $((got - 128)))"; fi
                if [[ $got -eq 124 ]]; then signal=" (timed out after ${boltSmokeTimeout:-120} s)"; fi
                boltReason[$i]="the smoke test fails with this file: exit status $got$signal instead of ${reference%% *}"
            else
                boltReason[$i]="the smoke test prints something else with this file than with the PGO-optimized one"
            fi
            echo "nix-pgo: ${boltRel[$i]}: ${boltReason[$i]}; keeping the PGO-optimized file"
        fi
    done
    for i in "${survivors[@]}"; do boltInstall "$i" bolt; done
    if [[ ${#survivors[@]} -gt 0 ]]; then
        result=$(boltSmokeRun new)
        if [[ "$result" != "$reference" ]]; then
            for i in "${survivors[@]}"; do
                boltInstall "$i" pgo
                boltOutcome[$i]=fallback
                boltReason[$i]="the smoke test fails when this file is rewritten together with the others (each alone passes)"
            done
        fi
    fi
    boltSmokeResult="failed: files kept from the PGO-optimized outputs"
}

# A profile line of an instrumentation fdata file (what merge-fdata writes):
# "1 FROM OFFSET 1 TO OFFSET MISPREDICTS COUNT"; an optional first line
# "boltedcollection". Exits non-zero naming the first bad line.
boltCheckFdata() {
    local f=$1
    if [[ ! -s "$f" ]]; then echo "it is empty"; return 1; fi
    if [[ "$(tail -c 1 "$f" | od -An -tx1 | tr -d ' \n')" != 0a ]]; then
        echo "its last line is cut off (no newline at the end)"
        return 1
    fi
    awk '
        NR == 1 && $0 == "boltedcollection" { next }
        NF != 8 || $1 !~ /^[0-9]$/ || $3 !~ /^[0-9a-f]+$/ || $4 !~ /^[0-9]$/ || $6 !~ /^[0-9a-f]+$/ || $7 !~ /^[0-9]+$/ || $8 !~ /^[0-9]+$/ {
            printf "line %d is not an fdata branch record: %.80s\n", NR, $0; bad = 1; exit 1
        }
    ' "$f"
}

# The numbers BOLT reports for an optimized file, as manifest facts of the current item.
boltStatFacts() {
    local log=$1 profiled total notOptimized stale
    read -r profiled total < <(sed -n 's/^BOLT-INFO: \([0-9]*\) out of \([0-9]*\) functions in the binary.*have non-empty execution profile.*/\1 \2/p' "$log") || true
    notOptimized=$(sed -n 's/^BOLT-INFO: \([0-9]*\) functions with profile could not be optimized.*/\1/p' "$log")
    stale=$(sed -n 's/^BOLT-WARNING: \([0-9]*\) (.*functions have invalid (possibly stale) profile.*/\1/p' "$log")
    pgoFact l functions "${total:-null}"
    pgoFact l functionsProfiled "${profiled:-null}"
    pgoFact l functionsNotOptimized "${notOptimized:-0}"
    pgoFact l functionsStale "${stale:-0}"
}

boltInstrumentAll() {
    local i id runtime
    # llvm-bolt (16) takes its runtime from ../lib next to the name it was
    # called by; -runtime-instrumentation-lib only names a file in that directory.
    runtime="$(dirname "$boltTool")/../lib/libbolt_rt_instr.a"
    [[ -e "$runtime" ]] || boltFail "$(boltPackageName): BOLT's instrumentation runtime is not where $boltTool looks for it: $runtime"
    for i in "${!boltPath[@]}"; do
        id=${boltInputId[$i]}
        echo "nix-pgo: instrumenting ${boltOut[$i]}/${boltRel[$i]} (build ID $id)"
        if [[ -z "$id" ]]; then
            boltOutcome[$i]=fallback
            boltReason[$i]="it has no ELF build ID, which names its profile files (link it with --build-id)"
            continue
        fi
        if ! grep -q -a -F "${pgoStartupMarker}bolt-start" "$TMPDIR/bolt-files/$i.pgo"; then
            boltOutcome[$i]=fallback
            boltReason[$i]="it was linked without nix-pgo's startup object for BOLT (the PGO-optimized build of enableWith { bolt = true; } links it), so its profiles could not go to the user's own directory of the spool"
            echo "nix-pgo: ${boltRel[$i]}: ${boltReason[$i]}; keeping the PGO-optimized file"
            continue
        fi
        # The padding leaves room for runtime/bolt-start.c to rewrite the name to the user's directory.
        if boltRun "$TMPDIR/bolt-files/$i.log" "$TMPDIR/bolt-files/$i.pgo" "$TMPDIR/bolt-files/$i.bolt" \
            -instrument "-instrumentation-file=$boltDir/$boltPadding/$id"; then
            boltOutcome[$i]=instrumented
            if [[ -n "${boltSmokeTest:-}" ]]; then
                # The smoke test runs a copy that writes below the build
                # directory: the baked directory may not exist here, and the
                # profiles of a build must not reach a spool.
                mv "$TMPDIR/bolt-files/$i.bolt" "$TMPDIR/bolt-files/$i.real"
                if ! boltRun "$TMPDIR/bolt-files/$i.smoke-log" "$TMPDIR/bolt-files/$i.pgo" "$TMPDIR/bolt-files/$i.bolt" \
                    -instrument "-instrumentation-file=$TMPDIR/bolt-smoke-spool/$id"; then
                    boltFail "$(boltPackageName): ${boltRel[$i]} could be instrumented for the spool but not for the smoke test: $boltLastReason"
                fi
            fi
        else
            boltOutcome[$i]=fallback
            boltReason[$i]=$boltLastReason
            echo "nix-pgo: ${boltRel[$i]}: $boltLastReason; keeping the PGO-optimized file"
        fi
    done
    mkdir -p "$TMPDIR/bolt-smoke-spool"
    boltSmokeCheck
    # With a dump interval the files are written by a watcher process per
    # module, which notices within a second that its program has exited.
    if [[ -n "${boltSmokeTest:-}" && -n "${boltDumpInterval:-}" ]]; then sleep 2; fi
    for i in "${!boltPath[@]}"; do
        if [[ "${boltOutcome[$i]}" == instrumented ]]; then
            if [[ -n "${boltSmokeTest:-}" ]]; then mv -f "$TMPDIR/bolt-files/$i.real" "$TMPDIR/bolt-files/$i.bolt"; fi
            boltInstall "$i" bolt
        else
            boltInstall "$i" pgo
        fi
    done
}

# The profile of file $1: by its input build ID, else by its output and path.
boltFindProfile() {
    local i=$1
    if [[ -n "${boltInputId[$i]}" && -f "$boltProfile/${boltInputId[$i]}.fdata" ]]; then
        echo "build-id $boltProfile/${boltInputId[$i]}.fdata"
    elif [[ -f "$boltProfile/${boltOut[$i]}/${boltRel[$i]}.fdata" ]]; then
        echo "path $boltProfile/${boltOut[$i]}/${boltRel[$i]}.fdata"
    fi
}

boltCheckProfileDir() {
    local pkg
    pkg=$(boltPackageName)
    [[ -e "$boltProfile" ]] || boltFail "the BOLT profile for $pkg does not exist: $boltProfile"
    [[ -d "$boltProfile" ]] || boltFail "the BOLT profile for $pkg is not a directory ($boltProfile); it must hold one merged .fdata file per ELF file, named BUILD-ID.fdata (or OUTPUT/PATH.fdata)"
    if [[ -z "$(find "$boltProfile" -name '*.fdata' -type f -print -quit)" ]]; then
        boltFail "the BOLT profile for $pkg is empty (no .fdata files): $boltProfile"
    fi
}

boltOptimizeAll() {
    local i found key file problem
    boltCheckProfileDir
    for i in "${!boltPath[@]}"; do
        echo "nix-pgo: optimizing ${boltOut[$i]}/${boltRel[$i]} (build ID ${boltInputId[$i]:-none})"
        found=$(boltFindProfile "$i")
        if [[ -z "$found" ]]; then
            boltOutcome[$i]=fallback
            boltReason[$i]="the BOLT profile has no data for it (no ${boltInputId[$i]:-BUILD-ID}.fdata or ${boltOut[$i]}/${boltRel[$i]}.fdata)"
            echo "nix-pgo: ${boltRel[$i]}: ${boltReason[$i]}; keeping the PGO-optimized file"
            continue
        fi
        key=${found%% *}
        file=${found#* }
        boltProfileKey[$i]=$key
        if ! problem=$(boltCheckFdata "$file"); then
            boltFail "the BOLT profile for $(boltPackageName) is corrupt: ${file#"$boltProfile"/}: $problem"
        fi
        if boltRun "$TMPDIR/bolt-files/$i.log" "$TMPDIR/bolt-files/$i.pgo" "$TMPDIR/bolt-files/$i.bolt" "-data=$file"; then
            boltOutcome[$i]=optimized
        else
            boltOutcome[$i]=fallback
            boltReason[$i]=$boltLastReason
            echo "nix-pgo: ${boltRel[$i]}: $boltLastReason; keeping the PGO-optimized file"
        fi
    done
    boltSmokeCheck
    for i in "${!boltPath[@]}"; do
        if [[ "${boltOutcome[$i]}" == optimized ]]; then boltInstall "$i" bolt; else boltInstall "$i" pgo; fi
    done
}

# Writes the manifest: what Nix fixed (pgoManifestLayout), the facts of this
# build, and one item per ELF file with its outcome.
boltWriteManifest() {
    local i pgoFacts="$TMPDIR/bolt-manifest.facts"
    : >"$pgoFacts"
    pgoIdentityFacts
    if [[ -n "${boltPgoProfile:-}" && -f "$boltPgoProfile" ]]; then
        pgoFact s pgoProfileSha256 "$(sha256sum "$boltPgoProfile" | cut -d ' ' -f 1)"
    else
        pgoFact l pgoProfileSha256 null
    fi
    if [[ -n "$boltSmokeResult" ]]; then pgoFact s smokeTest "$boltSmokeResult"; else pgoFact l smokeTest null; fi
    for i in "${!boltPath[@]}"; do
        pgoFact '{' binaries ''
        pgoFact s output "${boltOut[$i]}"
        pgoFact s path "${boltRel[$i]}"
        pgoFact s buildId "$(boltBuildId "${boltPath[$i]}")"
        pgoFact s inputBuildId "${boltInputId[$i]}"
        pgoFact s outcome "${boltOutcome[$i]}"
        if [[ "${boltOutcome[$i]}" == fallback ]]; then
            pgoFact s reason "$(boltOneLine "${boltReason[$i]}")"
        else
            pgoFact l reason null
        fi
        if [[ "$boltKind" == bolt-profile && "${boltOutcome[$i]}" == instrumented ]]; then
            pgoFact s fdataPrefix "$boltDir/${boltInputId[$i]}"
            if [[ -n "${boltSmokeTest:-}" ]]; then
                if compgen -G "$TMPDIR/bolt-smoke-spool/${boltInputId[$i]}.*.fdata" >/dev/null; then
                    pgoFact l smokeProfile true
                else
                    pgoFact l smokeProfile false
                fi
            fi
        fi
        if [[ "$boltKind" == bolt-optimized ]]; then
            if [[ -n "${boltProfileKey[$i]:-}" ]]; then pgoFact s profileKey "${boltProfileKey[$i]}"; else pgoFact l profileKey null; fi
            if [[ "${boltOutcome[$i]}" == optimized ]]; then boltStatFacts "$TMPDIR/bolt-files/$i.log.stdout"; fi
        fi
    done
    pgoWriteManifestFile
}

boltMain() {
    local -a boltPath=() boltOut=() boltRel=() boltInputId=() boltOutcome=() boltReason=() boltProfileKey=()
    local boltLastReason="" boltSmokeResult="" o rel i=0 p
    [[ -x "$boltTool" ]] || boltFail "llvm-bolt is not executable: $boltTool"
    boltCopyOutputs
    mkdir -p "$TMPDIR/bolt-files"
    while IFS=$'\t' read -r o rel; do
        p=$(boltOutputPath "$o")
        boltPath[$i]="$p/$rel"
        boltOut[$i]=$o
        boltRel[$i]=$rel
        boltInputId[$i]=$(boltBuildId "$p/$rel")
        boltOutcome[$i]=""
        boltReason[$i]=""
        cp "$p/$rel" "$TMPDIR/bolt-files/$i.pgo"
        i=$((i + 1))
    done < <(boltCandidates)
    if [[ $i -eq 0 ]]; then
        boltFail "$(boltPackageName): the PGO-optimized outputs hold no ELF executable or shared library for BOLT"
    fi
    case "$boltKind" in
    bolt-profile) boltInstrumentAll ;;
    bolt-optimized) boltOptimizeAll ;;
    *) boltFail "unknown boltKind '$boltKind'" ;;
    esac
    boltWriteManifest
    local rewritten=0
    for o in "${boltOutcome[@]}"; do [[ "$o" == fallback ]] || rewritten=$((rewritten + 1)); done
    echo "nix-pgo: $(boltPackageName): BOLT rewrote $rewritten of $i ELF files"
}
