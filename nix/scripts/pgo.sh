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
# write to a spool inherited from a nix-shell (NIX_PGO_SPOOL), or to the one
# the library baked in when it exists (a build without a sandbox). The
# startup objects (runtime/) honour LLVM_PROFILE_FILE and GCOV_PREFIX when
# NIX_PGO_SPOOL is unset, so pointing those below the build directory keeps
# every such profile in the build, which Nix deletes with it; nothing is
# written to $out or to the source tree. Exported variables persist through
# the following phases.
pgoIsolateBuildProfiles() {
    local dir
    pgoEnsureScratch
    dir=$pgoScratch
    mkdir -p "$dir/llvm" "$dir/gcda"
    unset NIX_PGO_SPOOL
    # clang: %m merges the runs of one binary into one file (Emacs alone runs
    # about 1,500 instrumented processes while building).
    export LLVM_PROFILE_FILE="$dir/llvm/%m.profraw"
    # Programs built for continuous collection would otherwise each keep a
    # live file of their own (one per process and module, never merged): they
    # write at exit into the %m files above like all others.
    export NIX_PGO_COLLECTION=exit
    # GCC: the baked gcda path is kept whole below the prefix.
    export GCOV_PREFIX="$dir/gcda" GCOV_PREFIX_STRIP=0
}

# Sets pgoScratch: a directory of nix-pgo's own below the build directory (a temporary one outside a build).
pgoEnsureScratch() {
    if [[ -z "${pgoScratch:-}" ]]; then
        if [[ -n "${NIX_BUILD_TOP:-}" ]]; then
            pgoScratch="$NIX_BUILD_TOP/.nix-pgo-build"
            mkdir -p "$pgoScratch"
        else
            pgoScratch=$(mktemp -d -t nix-pgo-build.XXXXXX)
        fi
    fi
}


# The string each startup object carries (runtime/NAME.c), by which the
# manifest phase checks that every instrumented file was linked with it.
pgoStartupMarker="nix-pgo startup object: "

# Compiles a startup object of nix-pgo (runtime/NAME.c: llvm-start for clang,
# gcov-start for GCC, bolt-start for PGO-optimized builds that BOLT will
# instrument) and adds it to every link through NIX_LDFLAGS (a bare object
# file is an input to ld; nixpkgs' wrappers pass the words of NIX_LDFLAGS to
# every ld they run, and its purity check accepts paths below the build
# directory). It is compiled with the package's own compiler but without the
# package's flags, so it is not instrumented itself; it calls no function of
# the C library before that library is initialized, so the compiler must not
# add any (-fno-builtin, no stack protector). The spool the library baked in
# ($pgoDefaultProfileDir) is the one it uses when NIX_PGO_SPOOL is unset.
pgoAddStartupObject() {
    local runtime=$1 name=$2 obj
    pgoEnsureScratch
    obj="$pgoScratch/$name.o"
    if ! NIX_CFLAGS_COMPILE="" NIX_LDFLAGS="" "${CC:-cc}" -O2 -fPIC -fno-asynchronous-unwind-tables -fno-builtin \
        -fno-stack-protector -I"$runtime" "-DNIX_PGO_DEFAULT_SPOOL=\"${pgoDefaultProfileDir:?}\"" \
        -c "$runtime/$name.c" -o "$obj"; then
        pgoFail "$(pgoPackageName): cannot compile nix-pgo's startup object $name ($runtime/$name.c) with ${CC:-cc}"
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

# The startup object of this toolchain's profiling builds.
pgoStartupName() {
    case "$pgoToolchain" in
    clang) echo llvm-start ;;
    gcc) echo gcov-start ;;
    esac
}

# An executable or a shared library (not an object file or an archive member).
pgoIsLinked() {
    "${READELF:-readelf}" -h "$1" 2>/dev/null | grep -q -E '^ *Type: *(EXEC|DYN) '
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
            if [[ "$pgoKind" == profile ]] && pgoIsLinked "$f" && ! grep -q -a -F "$pgoStartupMarker$(pgoStartupName)" "$f"; then
                pgoFail "$(pgoPackageName): $f was linked without nix-pgo's startup object, which chooses the user's own directory of the spool (without it the program would write where another user can take its profiles); did the package override NIX_LDFLAGS, or link without the compiler driver?"
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
