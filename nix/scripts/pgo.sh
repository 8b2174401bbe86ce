# Shell functions sourced by the nix-pgo phases of instrumented and optimized
# builds (and the manifest writer of the BOLT variants). They read the pgo*
# variables that nix/attrs.nix sets on the derivation.

pgoFail() {
    echo "nix-pgo: $*" >&2
    exit 1
}

# The programs a build runs are instrumented too when the build compiled them
# (configure's test programs, code generators such as SQLite's lemon, dumps
# and byte-compilers such as Emacs', test suites). Without this they would
# write to the default directory baked into them, shared by every user and
# often not writable by the build user (each one would then print a profile
# error, which fails builds that treat stderr as failure), or to a spool
# inherited from a nix-shell. Both runtimes prefer the environment to what is
# baked in, so pointing it below the build directory keeps every such profile
# in the build, which Nix deletes with it; nothing is written to $out or to
# the source tree. Exported variables persist through the following phases.
pgoIsolateBuildProfiles() {
    local dir
    if [[ -n "${NIX_BUILD_TOP:-}" ]]; then
        dir="$NIX_BUILD_TOP/.nix-pgo-build"
    else
        dir=$(mktemp -d -t nix-pgo-build.XXXXXX)
    fi
    mkdir -p "$dir/llvm" "$dir/gcda"
    pgoBuildDir=$dir
    # clang: %m merges the runs of one binary into one file (Emacs alone runs
    # about 1,500 instrumented processes while building).
    export LLVM_PROFILE_FILE="$dir/llvm/%m.profraw"
    # Programs built for continuous collection would otherwise each keep a
    # live file of their own (one per process and module, never merged): they
    # write at exit into the %m files above like all others.
    export NIX_PGO_COLLECTION=exit
    # GCC: the baked gcda path is kept whole below the prefix. A spool root
    # inherited from a nix-shell would make instrumented programs point
    # GCOV_PREFIX back into the spool at startup.
    export GCOV_PREFIX="$dir/gcda" GCOV_PREFIX_STRIP=0
    unset NIX_PGO_GCDA_ROOT
}

# The name a continuous-mode module gives its live file (runtime/continuous.c);
# the manifest phase looks for it in every instrumented ELF file.
pgoLiveFileName='live-%p-%m%c.profraw'

# Compiles a startup object of nix-pgo (runtime/*.c: continuous collection
# for clang, the per-user GCOV_PREFIX for GCC) and adds it to every link
# through NIX_LDFLAGS (a bare object file is an input to ld; nixpkgs' wrappers
# pass the words of NIX_LDFLAGS to every ld they run, and its purity check
# accepts paths below the build directory). It is compiled with the package's
# own compiler but without the package's flags, so it is not instrumented
# itself. Runs after pgoIsolateBuildProfiles.
pgoAddStartupObject() {
    local src=$1 name=$2 obj
    obj="${pgoBuildDir:?pgoIsolateBuildProfiles must run first}/$name.o"
    if ! NIX_CFLAGS_COMPILE="" NIX_LDFLAGS="" "${CC:-cc}" -O2 -fPIC -fno-asynchronous-unwind-tables \
        -c "$src" -o "$obj"; then
        pgoFail "$(pgoPackageName): cannot compile nix-pgo's startup object $name ($src) with ${CC:-cc}"
    fi
    export NIX_LDFLAGS="${NIX_LDFLAGS:-}${NIX_LDFLAGS:+ }$obj"
}

pgoPackageName() {
    echo "${pname:-${name:-unknown}}${version:+ ${version}}"
}

# Refuse a profile that cannot be what the compiler expects, before the
# compiler silently ignores it and produces an unoptimized binary.
pgoCheckProfile() {
    local pkg profile="$pgoProfile"
    pkg=$(pgoPackageName)
    if [[ ! -e "$profile" ]]; then
        pgoFail "the profile for $pkg does not exist: $profile"
    fi
    case "$pgoToolchain" in
    clang)
        if [[ -d "$profile" ]]; then
            pgoFail "the profile for $pkg is a directory ($profile); ${pname:-$name} is built with clang, which needs a merged .profdata file (a gcda directory is for GCC builds)"
        fi
        if [[ ! -s "$profile" ]]; then
            pgoFail "the profile for $pkg is empty: $profile"
        fi
        local magic
        magic=$(head -c 8 "$profile" | od -An -tx1 | tr -d ' \n')
        case "$magic" in
        ff6c70726f666981 | 8169666f72706cff) ;;
        ff6c70726f667281 | 8172666f72706cff)
            pgoFail "the profile for $pkg is a raw profile ($profile); merge it first: $pgoMergeTool merge -o merged.profdata $profile" ;;
        *)
            pgoFail "the profile for $pkg is not an LLVM indexed profile (corrupt, or written by another tool): $profile" ;;
        esac
        local out
        if ! out=$("$pgoMergeTool" show "$profile" 2>&1 >/dev/null); then
            pgoFail "the profile for $pkg cannot be read by the LLVM $pgoCompilerVersion tools that match its compiler ($pgoMergeTool): $profile: $out"
        fi
        ;;
    gcc)
        if [[ ! -d "$profile" ]]; then
            pgoFail "the profile for $pkg is not a directory ($profile); ${pname:-$name} is built with GCC, which needs a directory of .gcda files (a .profdata file is for clang builds)"
        fi
        if [[ -z "$(find "$profile" -name '*.gcda' -type f -size +0 -print -quit)" ]]; then
            pgoFail "the profile for $pkg is empty (no .gcda files): $profile"
        fi
        local f
        while IFS= read -r -d '' f; do
            # Every gcda file starts with the magic "gcda" (as a little-endian word: "adcg").
            case "$(head -c 4 "$f")" in
            adcg | gcda) ;;
            *) pgoFail "the profile for $pkg has a corrupt gcda file: $f" ;;
            esac
        done < <(find "$profile" -name '*.gcda' -type f -print0)
        ;;
    esac
}

# Prints "name path" for every output, in plain and in structured-attrs builds.
pgoOutputs() {
    if [[ "$(declare -p outputs 2>/dev/null)" == "declare -A"* ]]; then
        local o
        for o in "${!outputs[@]}"; do echo "$o ${outputs[$o]}"; done
    else
        local o
        for o in ${outputs:-out}; do echo "$o ${!o}"; done
    fi
}

pgoIsInstrumented() {
    local f=$1 readelf=${READELF:-readelf}
    case "$pgoToolchain" in
    clang) "$readelf" -S -W "$f" 2>/dev/null | grep -q '__llvm_prf_cnts' ;;
    # libgcov reads GCOV_PREFIX at exit, so every instrumented ELF file carries the name.
    gcc) grep -q -a GCOV_PREFIX "$f" ;;
    esac
}

# Where every variant keeps its manifest, below its first output.
pgoManifestFile=nix-support/pgo.json

# Adds one fact of the build to the manifest's facts file ($pgoFacts), for
# pgoWriteManifestFile: TYPE KEY VALUE, TYPE s (a string, any bytes), l (null,
# true, false or a whole number) or { (the next item of the list KEY, VALUE "").
pgoFact() {
    printf '%s\0%s\0%s\0' "$1" "$2" "$3" >>"${pgoFacts:?}"
}

# Whether the manifest's layout leaves member $1 to the build.
pgoLayoutHas() {
    [[ $'\n'"${pgoManifestLayout:?}"$'\n' == *$'\n?'"$1"$'\n'* ]]
}

# The facts every manifest starts with: the derivation's name and output.
pgoIdentityFacts() {
    pgoFact s name "${name:-}"
    pgoFact s pname "${pname:-${name:-}}"
    pgoFact s version "${version:-}"
    pgoFact s outPath "$out"
}

# Writes $out/$pgoManifestFile from pgoManifestLayout (what Nix fixed) and the
# facts in $pgoFacts, with the one writer of manifests (scripts/manifest.awk).
pgoWriteManifestFile() {
    local target="$out/$pgoManifestFile"
    mkdir -p "$(dirname "$target")"
    if ! od -An -v -tu1 "${pgoFacts:?}" | pgoLayout="${pgoManifestLayout:?}" LC_ALL=C awk -f "${pgoManifestWriter:?}" >"$target.tmp"; then
        pgoFail "$(pgoPackageName): cannot write $target"
    fi
    mv "$target.tmp" "$target"
    rm -f "$pgoFacts"
}

# Writes the manifest of an instrumented or optimized build: what the daemon
# needs to attribute raw profiles to this build and to merge them with the
# matching tool.
pgoWriteManifest() {
    local readelf=${READELF:-readelf} outName outPath f id found=""
    local pgoFacts="${TMPDIR:-/tmp}/pgo-manifest.facts"
    : >"$pgoFacts"
    pgoIdentityFacts
    if pgoLayoutHas gcdaDir; then
        pgoFact s gcdaDir "$pgoDefaultProfileDir/gcda/$(basename "$out")"
    fi
    if pgoLayoutHas profileSha256; then
        if [[ -f "$pgoProfile" ]]; then
            pgoFact s profileSha256 "$(sha256sum "$pgoProfile" | cut -d ' ' -f 1)"
        else
            pgoFact l profileSha256 null
        fi
    fi
    while read -r outName outPath; do
        [[ -d "$outPath" ]] || continue
        while IFS= read -r -d '' f; do
            [[ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')" == 7f454c46 ]] || continue
            if [[ "$pgoKind" == profile ]] && ! pgoIsInstrumented "$f"; then continue; fi
            if [[ "$pgoKind" == profile && "${pgoCollection:-exit}" == continuous ]] && ! grep -q -a -F "$pgoLiveFileName" "$f"; then
                pgoFail "$(pgoPackageName): $f was linked without the startup object of continuous collection, so it would write only at exit; did the package override NIX_LDFLAGS, or link without the compiler driver?"
            fi
            id=$("$readelf" -n "$f" 2>/dev/null | sed -n 's/^ *Build ID: *\([0-9a-fA-F]*\).*/\1/p' | head -n 1)
            if [[ -z "$id" ]]; then
                pgoFail "$(pgoPackageName): $f has no ELF build ID; it must be linked with --build-id (did the package override NIX_LDFLAGS?)"
            fi
            pgoFact '{' binaries ''
            pgoFact s output "$outName"
            pgoFact s path "${f#"$outPath"/}"
            pgoFact s buildId "$id"
            found=1
        done < <(find "$outPath" -type f -print0 | sort -z)
    done < <(pgoOutputs | sort)

    if [[ "$pgoKind" == profile && -z "$found" ]]; then
        pgoFail "$(pgoPackageName): the instrumented build produced no instrumented ELF file; is the package built with the compiler of its stdenv?"
    fi
    pgoWriteManifestFile
}
