# The build steps of the nix-pgo package, shared by this package set's
# default.nix and ../../../package.nix (nixpkgs). Sourced by a phase, run in
# the unpacked source with node, npm, python3, make and a C/C++ compiler on
# PATH, HOME writable and npm_config_nodedir naming the Node.js headers;
# nothing here uses the network.

# node_modules with the native dependency (better-sqlite3) compiled here.
# Its install script would first download a prebuilt binary; building from
# source needs no network and matches this Node.js exactly.
buildNativeModules() {
    cp -r "$npmDeps" node_modules
    chmod -R u+w node_modules
    if [[ $(type -t patchShebangs) == function ]]; then patchShebangs node_modules; fi
    npm_config_build_from_source=true npm rebuild better-sqlite3 --offline --no-audit --no-fund --foreground-scripts
    test -f node_modules/better-sqlite3/build/Release/better_sqlite3.node
    # The addon's object files and the SQLite static library are not needed at run time.
    rm -rf node_modules/better-sqlite3/build/Release/obj* node_modules/better-sqlite3/build/Release/.deps \
        node_modules/better-sqlite3/build/Release/*.a node_modules/better-sqlite3/build/deps
}

# Our own addon (native/, the POSIX record locks), the compiled TypeScript,
# then node_modules without the development dependencies.
buildNixPgo() {
    cp -r "$nativeModules" node_modules
    chmod -R u+w node_modules
    npm run install --offline
    node node_modules/typescript/bin/tsc -p tsconfig.build.json
    npm prune --omit=dev --offline --ignore-scripts --no-audit --no-fund
    find node_modules -mindepth 1 -maxdepth 1 -type d -empty -delete
}

# $out/lib/node_modules/nix-pgo as an npm install lays it out, and
# $out/bin/nix-pgo running it with $hostNode. The daemon starts nix-build,
# nix-store, nix-env and nix-instantiate: $nixBinDir is searched after the
# caller's PATH, so a user's own Nix comes first and a service with an empty
# PATH still finds one.
installNixPgo() {
    local dest=$out/lib/node_modules/nix-pgo
    mkdir -p "$dest/build/Release" "$out/bin"
    cp -r package.json dist nix schema node_modules "$dest/"
    cp build/Release/record_lock.node "$dest/build/Release/"
    cat >"$out/bin/nix-pgo" <<WRAPPER
#!/bin/sh
PATH="\${PATH:+\$PATH:}$nixBinDir"
export PATH
exec $hostNode $dest/dist/src/cli/main.js "\$@"
WRAPPER
    chmod +x "$out/bin/nix-pgo"
}
