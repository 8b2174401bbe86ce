# The generic builder of the example stdenv: the nixpkgs phase sequence, with
# hooks given as strings and any phase replaceable by an attribute.
set -eu -o pipefail
export PATH="$stdenvCC/bin:$hostPath"
# The bin directories of the build inputs come first, as nixpkgs' setup puts them.
for input in ${buildInputs:-} ${nativeBuildInputs:-}; do
    if [[ -d "$input/bin" ]]; then PATH="$input/bin:$PATH"; fi
done
export CC=cc READELF=readelf
cd "$NIX_BUILD_TOP"

runHook() {
    local hook=$1
    eval "${!hook:-}"
}

# Unpacking as nixpkgs' stdenv does: every source in $srcs (else $src) is a
# directory (copied) or a tarball (extracted with tar, which picks the
# decompressor); the one directory this creates is the source root, unless
# $sourceRoot or $setSourceRoot says. runPhase then changes into it, after
# postUnpack, as in nixpkgs. One deviation: a single directory source is
# copied to `source`, as this stdenv always did (GCC names .gcda files after
# that path, and tests know them); nixpkgs names the copy after the store
# path without its hash (`src` for `src = ./src`), as done here for $srcs.
stripHash() {
    local name
    name=$(basename "$1")
    if [[ "$name" =~ ^[a-z0-9]{32}- ]]; then echo "${name:33}"; else echo "$name"; fi
}

unpackFile() {
    local fn=$1
    echo "unpacking source archive $fn"
    if [[ -d "$fn" ]]; then
        local destination
        if [[ -z "${srcs:-}" ]]; then destination=source; else destination=$(stripHash "$fn"); fi
        if [[ -e "$destination" ]]; then echo "Cannot copy $fn to $destination: destination already exists!"; return 1; fi
        cp -r --preserve=timestamps -- "$fn" "$destination"
    else
        case "$fn" in
            *.tar.xz | *.tar.lzma | *.txz) xz -d <"$fn" | tar xf - --mode=+w --warning=no-timestamp ;;
            *.tar | *.tar.* | *.tgz | *.tbz2 | *.tbz) tar xf "$fn" --mode=+w --warning=no-timestamp ;;
            *)
                if [[ -n "${unpackCmd:-}" ]]; then curSrc=$fn; eval "$unpackCmd"
                else echo "do not know how to unpack source archive $fn"; return 1; fi
                ;;
        esac
    fi
}

unpackPhase() {
    runHook preUnpack
    local srcsList=${srcs:-${src:-}}
    if [[ -z "$srcsList" ]]; then echo 'variable $src or $srcs should point to the source'; exit 1; fi
    local dirsBefore="" i
    for i in *; do if [[ -d "$i" ]]; then dirsBefore="$dirsBefore $i "; fi; done
    for i in $srcsList; do unpackFile "$i"; done
    : "${sourceRoot=}"
    if [[ -n "${setSourceRoot:-}" ]]; then
        eval "$setSourceRoot"
    elif [[ -z "$sourceRoot" ]]; then
        for i in *; do
            if [[ -d "$i" ]]; then
                case $dirsBefore in
                    *\ $i\ *) ;;
                    *)
                        if [[ -n "$sourceRoot" ]]; then echo "unpacker produced multiple directories"; exit 1; fi
                        sourceRoot=$i
                        ;;
                esac
            fi
        done
    fi
    if [[ -z "$sourceRoot" ]]; then echo "unpacker appears to have produced no directories"; exit 1; fi
    echo "source root is $sourceRoot"
    if [[ "${dontMakeSourcesWritable:-0}" != 1 ]]; then chmod -R u+w -- "$sourceRoot"; fi
    runHook postUnpack
}

patchPhase() { runHook prePatch; runHook postPatch; }

configurePhase() {
    runHook preConfigure
    if [[ -x ./configure ]]; then ./configure --prefix="$prefix" ${configureFlags:-}; fi
    runHook postConfigure
}

# make gets makeFlags and buildFlags/checkFlags/installFlags, as in nixpkgs.
# One deviation, for the small example Makefiles: PREFIX=$out comes first, so
# a package's own makeFlags (e.g. "PREFIX=$(out)", which nixpkgs packages
# need) still win.
buildPhase() {
    runHook preBuild
    make PREFIX="$out" ${makeFlags:-} ${buildFlags:-}
    runHook postBuild
}

checkPhase() {
    runHook preCheck
    make PREFIX="$out" ${makeFlags:-} ${checkFlags:-} ${checkTarget:-check}
    runHook postCheck
}

installPhase() {
    runHook preInstall
    mkdir -p "$prefix"
    make PREFIX="$out" ${makeFlags:-} ${installFlags:-} ${installTargets:-install}
    runHook postInstall
}

# Debug symbols are stripped as nixpkgs does; build-id notes must survive it.
fixupPhase() {
    runHook preFixup
    local f
    while IFS= read -r -d '' f; do
        if [[ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')" == 7f454c46 ]]; then strip --strip-debug "$f"; fi
    done < <(find "$out" -type f -print0)
    runHook postFixup
}

# runPhase as in nixpkgs: the dont*/do* switches, a phase given as an
# attribute replaces the function, and after unpackPhase the build goes on in
# the source root.
runPhase() {
    local curPhase=$1
    if [[ "$curPhase" = unpackPhase && -n "${dontUnpack:-}" ]]; then return; fi
    if [[ "$curPhase" = patchPhase && -n "${dontPatch:-}" ]]; then return; fi
    if [[ "$curPhase" = configurePhase && -n "${dontConfigure:-}" ]]; then return; fi
    if [[ "$curPhase" = buildPhase && -n "${dontBuild:-}" ]]; then return; fi
    if [[ "$curPhase" = checkPhase && -z "${doCheck:-}" ]]; then return; fi
    if [[ "$curPhase" = installPhase && -n "${dontInstall:-}" ]]; then return; fi
    if [[ "$curPhase" = fixupPhase && -n "${dontFixup:-}" ]]; then return; fi
    echo "running $curPhase"
    eval "${!curPhase:-$curPhase}"
    if [[ "$curPhase" = unpackPhase ]]; then
        [[ -n "${sourceRoot:-}" ]] && chmod +x -- "$sourceRoot"
        cd -- "${sourceRoot:-.}"
    fi
}

prefix=${prefix:-$out}
# buildCommand replaces the phases, as in nixpkgs' genericBuild.
if [[ -n "${buildCommand:-}" ]]; then
    eval "$buildCommand"
    exit 0
fi
phases=${phases:-"${prePhases:-} unpackPhase patchPhase configurePhase buildPhase checkPhase installPhase fixupPhase ${postPhases:-}"}
for curPhase in $phases; do
    runPhase "$curPhase"
done
