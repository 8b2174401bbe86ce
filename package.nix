# The `nix-pgo` command for nixpkgs: `pkgs.callPackage ./package.nix { }`
# (the flake's packages.default, and `nix-build -A nix-pgo` when <nixpkgs> is
# on the search path). examples/pkgs/nix-pgo is the same package on the
# host's Node.js and Nix, for machines without nixpkgs; both run the steps in
# examples/pkgs/nix-pgo/build.sh.
#
# Not buildNpmPackage: its dependency fetcher (fetchNpmDeps, like
# importNpmLock) takes the tarball URLs from the "resolved" fields of
# package-lock.json, and this lock file has none (npm can write it so; the
# registry is then npm's configured one). So the dependencies are a
# fixed-output derivation of node_modules instead: `npm ci --ignore-scripts`
# from the lock, with the network, its NAR hash in npmDepsHash. The lock's
# own hash is part of that derivation's name, so an edited lock with a stale
# hash fails ("hash mismatch … got: sha256-…": put that hash here) instead of
# reusing node_modules of the older lock.
{
  lib,
  stdenv,
  stdenvNoCC,
  srcOnly,
  cacert,
  nodejs_20,
  nix,
  npmDepsHash ? "sha256-3zQ1uKhS0GPqMyN+Br5tvHLLqnsPSt/LbuoZ8ih5050=",
}:
let
  nodejs = nodejs_20;
  version = (lib.importJSON ./package.json).version;
  lockHash = builtins.substring 0 12 (builtins.hashFile "sha256" ./package-lock.json);
  build = ./examples/pkgs/nix-pgo/build.sh;

  # Only what the build reads (a checkout's node_modules, dist and build stay
  # out); builtins.path rather than lib.fileset, which needs Nix 2.14.
  sourceOf =
    name: keep:
    builtins.path {
      inherit name;
      path = ./.;
      filter =
        path: type:
        let rel = lib.removePrefix (toString ./. + "/") (toString path);
        in builtins.elem (builtins.head (lib.splitString "/" rel)) keep;
    };
  lockFiles = sourceOf "nix-pgo-lock" [ "package.json" "package-lock.json" ];
  src = sourceOf "nix-pgo-source" [
    "package.json" "package-lock.json" "tsconfig.json" "tsconfig.build.json" "binding.gyp" "native" "src" "nix" "schema"
  ];

  npmDeps = stdenvNoCC.mkDerivation {
    name = "nix-pgo-npm-deps-${lockHash}";
    src = lockFiles;
    nativeBuildInputs = [ nodejs cacert ];
    npm_config_update_notifier = "false";
    buildCommand = "bash ${./examples/pkgs/nix-pgo/fetch-npm-deps.sh}";
    impureEnvVars = lib.fetchers.proxyImpureEnvVars ++ [ "npm_config_registry" ];
    outputHashMode = "recursive";
    outputHashAlgo = "sha256";
    outputHash = npmDepsHash;
  };

  # As buildNpmPackage's npmConfigHook sets them: the headers from the Node.js
  # sources and npm's own node-gyp, so no build downloads anything.
  nodeEnv = {
    npm_config_nodedir = srcOnly nodejs;
    npm_config_node_gyp = "${nodejs}/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js";
    npm_config_update_notifier = "false";
    nativeBuildInputs = [ nodejs nodejs.python ];
    dontConfigure = true;
    preBuild = ''export HOME="$TMPDIR" npm_config_cache="$TMPDIR/npm-cache"'';
  };

  nativeModules = stdenv.mkDerivation (nodeEnv // {
    pname = "nix-pgo-node-modules";
    inherit version npmDeps;
    src = lockFiles;
    buildPhase = "runHook preBuild; source ${build}; buildNativeModules; runHook postBuild";
    installPhase = "mv node_modules $out";
  });
in
stdenv.mkDerivation (nodeEnv // {
  pname = "nix-pgo";
  inherit version src nativeModules;
  hostNode = "${nodejs}/bin/node";
  nixBinDir = "${nix}/bin";
  buildPhase = "runHook preBuild; source ${build}; buildNixPgo; runHook postBuild";
  installPhase = "runHook preInstall; source ${build}; installNixPgo; runHook postInstall";
  passthru = { inherit npmDeps nativeModules; };
  meta = {
    description = "Profile-guided optimization as a single switch for Nix: the daemon and CLI";
    license = lib.licenses.mit;
    mainProgram = "nix-pgo";
    platforms = lib.platforms.linux;
  };
})
