# A small stdenv built on the host's compilers, offering the part of the
# nixpkgs stdenv interface that nix-pgo relies on: mkDerivation with
# overrideAttrs (also `finalAttrs: prev:`), finalPackage, passthru, env,
# phases and hooks, buildCommand, the bin directories of nativeBuildInputs
# on PATH, a cc wrapper honouring NIX_CFLAGS_COMPILE and NIX_LDFLAGS,
# stdenv.cc.{isClang,isGNU,version,cc}, and stdenv.override with
# mkDerivationFromStdenv for adapters.
#
# It exists because tests here cannot fetch nixpkgs; it is not a general stdenv.
{
  system ? builtins.currentSystem,
  # The host's clang to build with ("16", or "15": Debian's clang-15 and llvm-15).
  clangVersion ? "16",
  # Flags every compile of the package set gets, as nixpkgs' cc-wrapper adds its hardening
  # flags: a change here changes every package's derivation, as a nixpkgs update does.
  extraCFlags ? [ ],
}:
let
  inherit (builtins) attrNames concatStringsSep filter isFunction removeAttrs;

  hostPath = "/usr/bin:/bin";

  # A derivation that links host programs into $out/bin under other names.
  hostTools =
    name: links:
    derivation {
      inherit name system;
      builder = "/bin/sh";
      args = [
        "-c"
        (concatStringsSep "\n" (
          [ "set -e" "/bin/mkdir -p $out/bin" ]
          ++ map (l: "/bin/ln -s ${l.target} $out/bin/${l.name}") links
        ))
      ];
    };

  llvmHost = version: hostTools "llvm-${version}-host" [
    { name = "llvm-profdata"; target = "/usr/lib/llvm-${version}/bin/llvm-profdata"; }
    { name = "llvm-readelf"; target = "/usr/lib/llvm-${version}/bin/llvm-readelf"; }
  ];
  llvm16 = llvmHost "16";

  clangUnwrapped = (hostTools "clang-${clangVersion}-host" [
    { name = "clang"; target = "/usr/bin/clang-${clangVersion}"; }
  ]) // { libllvm = llvmHost clangVersion; version = clangVersion; isClang = true; };

  gccUnwrapped = (hostTools "gcc-12-host" [
    { name = "gcc"; target = "/usr/bin/gcc-12"; }
    { name = "gcov-tool"; target = "/usr/bin/gcov-tool-12"; }
  ]) // { version = "12"; isGNU = true; };

  # The wrapper puts NIX_CFLAGS_COMPILE before the caller's arguments and
  # NIX_LDFLAGS (as -Wl, words) on link steps, like nixpkgs' cc-wrapper.
  wrapCC =
    { name, unwrapped, compiler, isClang ? false, isGNU ? false, version }:
    (derivation {
      inherit name system;
      builder = "/bin/bash";
      args = [ ./make-cc-wrapper.sh ];
      # The wrapper runs `$compiler FLAGS...`: the package set's flags go first, as words after the compiler.
      compiler = concatStringsSep " " ([ compiler ] ++ extraCFlags);
      PATH = hostPath;
    })
    // { cc = unwrapped; inherit isClang isGNU version; };

  clang = wrapCC { name = "clang-wrapper-${clangVersion}"; unwrapped = clangUnwrapped; compiler = "/usr/bin/clang-${clangVersion}"; isClang = true; version = clangVersion; };
  gcc = wrapCC { name = "gcc-wrapper-12"; unwrapped = gccUnwrapped; compiler = "/usr/bin/gcc-12"; isGNU = true; version = "12"; };

  # nixpkgs' overlay semantics for overrideAttrs: f may be `prev: {..}` or `final: prev: {..}`.
  toOverlay = f0: final: prev: let x = f0 prev; in if isFunction x then f0 final prev else x;

  # Attributes handled here that never reach the derivation itself.
  localAttrs = [ "passthru" "env" "finalPackage" "overrideAttrs" "meta" ];

  defaultMkDerivationFromStdenv =
    stdenv:
    let
      makeExtensible =
        rattrs:
        let
          args = rattrs (args // { inherit finalPackage; });
          overrideAttrs = f0: makeExtensible (final: let prev = rattrs final; in prev // toOverlay f0 final prev);
          finalPackage = build overrideAttrs args;
        in
        finalPackage;

      build =
        overrideAttrs: args:
        let
          env = args.env or { };
          clashes = filter (n: args ? ${n}) (attrNames env);
          drv = derivation (
            removeAttrs args localAttrs
            // env
            // {
              inherit system;
              name = args.name or "${args.pname}-${args.version}";
              builder = "/bin/bash";
              args = [ ./setup.sh ];
              stdenvCC = stdenv.cc;
              hostPath = hostPath;
            }
          );
        in
        if clashes != [ ] then
          throw "${args.pname or args.name}: env.${builtins.head clashes} is also set at top level (an evaluation error in nixpkgs too)"
        else
          drv // (args.passthru or { }) // { inherit overrideAttrs stdenv; passthru = args.passthru or { }; };
    in
    fnOrAttrs: makeExtensible (if isFunction fnOrAttrs then fnOrAttrs else _: fnOrAttrs);

  # stdenv.override with the same argument names as nixpkgs' stdenv/generic.
  makeStdenv =
    stdenvArgs@{ cc, mkDerivationFromStdenv ? defaultMkDerivationFromStdenv }:
    let
      stdenv = {
        inherit cc system;
        mkDerivation = mkDerivationFromStdenv stdenv;
        override = f: makeStdenv (stdenvArgs // f stdenvArgs);
      };
    in
    stdenv;
in
{
  clangStdenv = makeStdenv { cc = clang; };
  gccStdenv = makeStdenv { cc = gcc; };
  inherit llvm16;
}
