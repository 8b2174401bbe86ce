# nix-pgo itself, built on this package set: the host's Node.js (with its
# headers, for the native addons) and the host's Nix, no nixpkgs needed.
# `nix-build -A nix-pgo` at the top of the repository uses it when there is
# no <nixpkgs>; ../../../package.nix is the same package for nixpkgs.
#
# Three derivations, so that editing the TypeScript rebuilds only the last:
#   npmDeps       node_modules as `npm ci --ignore-scripts` writes it, from
#                 package-lock.json: fixed-output (it may use the network),
#                 its NAR hash below; no install script runs there
#   nativeModules those node_modules with better-sqlite3 compiled from its
#                 sources against the host Node.js headers (no download)
#   nix-pgo       our own addon (native/), tsc, the runtime dependencies only,
#                 and bin/nix-pgo, which finds the host's nix-build & co.
#
# After changing package-lock.json, put the hash Nix prints ("got: sha256-…")
# into npmDepsHash: the lock's own hash is part of the fixed-output name, so a
# stale hash can never reuse node_modules of an older lock.
{
  stdenv ? (import ../../stdenv { }).gccStdenv,
  system ? builtins.currentSystem,
  # The NAR hash of node_modules for ../../../package-lock.json.
  npmDepsHash ? "sha256-3zQ1uKhS0GPqMyN+Br5tvHLLqnsPSt/LbuoZ8ih5050=",
  # Where the host's node (with include/node next to it) and nix-build live.
  hostPrefix ? "/usr",
  nixBinDir ? "/usr/bin",
}:
let
  root = ../../..;
  version = (builtins.fromJSON (builtins.readFile (root + "/package.json"))).version;
  lockHash = builtins.substring 0 12 (builtins.hashFile "sha256" (root + "/package-lock.json"));

  # Only what the build reads; a checkout's node_modules, dist and build stay out.
  keep = [ "package.json" "package-lock.json" "tsconfig.json" "tsconfig.build.json" "binding.gyp" "native" "src" "nix" "schema" ];
  src = builtins.path {
    name = "nix-pgo-source";
    path = root;
    filter =
      path: type:
      let rel = builtins.substring (builtins.stringLength (toString root) + 1) (-1) (toString path);
      in builtins.elem (builtins.head (builtins.split "/" rel)) keep;
  };
  lockFiles = builtins.path {
    name = "nix-pgo-lock";
    path = root;
    filter = path: type: builtins.elem (baseNameOf path) [ "package.json" "package-lock.json" ];
  };

  npmDeps = derivation {
    name = "nix-pgo-npm-deps-${lockHash}";
    inherit system;
    builder = "/bin/bash";
    args = [ ./fetch-npm-deps.sh ];
    src = lockFiles;
    PATH = "${hostPrefix}/bin:/usr/bin:/bin";
    npm_config_update_notifier = "false";
    # A mirror or proxy set in the caller's environment is used as npm would use it.
    impureEnvVars = [ "http_proxy" "https_proxy" "HTTP_PROXY" "HTTPS_PROXY" "NO_PROXY" "no_proxy" "npm_config_registry" "NODE_EXTRA_CA_CERTS" ];
    outputHashMode = "recursive";
    outputHashAlgo = "sha256";
    outputHash = npmDepsHash;
  };

  common = {
    inherit version;
    npm_config_nodedir = hostPrefix;
    npm_config_update_notifier = "false";
    hostNode = "${hostPrefix}/bin/node";
    # node-gyp and npm look for python3, make and c++ here.
    postUnpack = ''export PATH="$PATH:${hostPrefix}/bin" HOME="$TMPDIR" npm_config_cache="$TMPDIR/npm-cache"'';
    dontConfigure = true;
  };

  nativeModules = stdenv.mkDerivation (common // {
    pname = "nix-pgo-node-modules";
    src = lockFiles;
    inherit npmDeps;
    buildPhase = "source ${./build.sh}; buildNativeModules";
    installPhase = "mv node_modules $out";
  });
in
stdenv.mkDerivation (common // {
  pname = "nix-pgo";
  inherit src nativeModules nixBinDir;
  buildPhase = "source ${./build.sh}; buildNixPgo";
  installPhase = "source ${./build.sh}; installNixPgo";
  passthru = { inherit npmDeps nativeModules; };
})
