# The generic builder of the example stdenv: the nixpkgs phase sequence, with
# hooks given as strings and any phase replaceable by an attribute.
set -eu -o pipefail
export PATH="$stdenvCC/bin:$hostPath"
export CC=cc READELF=readelf
cd "$NIX_BUILD_TOP"

runHook() {
    local hook=$1
    eval "${!hook:-}"
}

unpackPhase() {
    runHook preUnpack
    cp -r "$src" source
    chmod -R u+w source
    cd source
    runHook postUnpack
}

patchPhase() { runHook prePatch; runHook postPatch; }

configurePhase() {
    runHook preConfigure
    if [[ -x ./configure ]]; then ./configure --prefix="$out" ${configureFlags:-}; fi
    runHook postConfigure
}

buildPhase() {
    runHook preBuild
    make ${makeFlags:-} PREFIX="$out" ${buildFlags:-}
    runHook postBuild
}

checkPhase() {
    runHook preCheck
    if [[ -n "${doCheck:-}" ]]; then make ${makeFlags:-} check; fi
    runHook postCheck
}

installPhase() {
    runHook preInstall
    make ${makeFlags:-} PREFIX="$out" install
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

phases=${phases:-"${prePhases:-} unpackPhase patchPhase configurePhase buildPhase checkPhase installPhase fixupPhase ${postPhases:-}"}
for curPhase in $phases; do
    echo "running $curPhase"
    eval "${!curPhase:-$curPhase}"
done
