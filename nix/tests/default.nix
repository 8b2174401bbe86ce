/**
  Nix-level unit tests: a list of { name, expr, expected }, evaluated to the
  failing cases (an empty list when all pass).

  # Example

  ```sh
  nix-instantiate --eval --strict --json nix/tests
  => {"failures":[],"total":…}
  ```
*/
let
  pgo = import ../. { defaultProfileDir = "/var/tmp/pgo-test"; };
  attrs = import ../attrs.nix;
  flags = import ../flags.nix;
  toolchain = import ../toolchain.nix;

  /**
    The example package set's stdenvs and a package built with clang;
    nothing here is built, only evaluated.
  */
  stdenvs = import ../../examples/stdenv { };
  calc = import ../../examples/pkgs/calc { stdenv = stdenvs.clangStdenv; };
  wordfreq = import ../../examples/pkgs/wordfreq { stdenv = stdenvs.gccStdenv; };

  /** A stdenv without `override`, whose derivations are their attributes. */
  fakeMkDerivation = attrs: { inherit attrs; overrideAttrs = f: fakeMkDerivation (attrs // f attrs); };
  fakeStdenv = {
    cc = { isClang = true; version = "16"; cc.libllvm = "/store/llvm"; };
    mkDerivation = fakeMkDerivation;
  };

  /** Does evaluating `expr` (to weak head normal form) throw? */
  fails = expr: !(builtins.tryEval expr).success;

  settings = {
    toolchain = "clang";
    mergeTool = "/store/llvm/bin/llvm-profdata";
    compilerVersion = "16";
    defaultProfileDir = "/var/tmp/pgo-test";
  };
  gccSettings = settings // { toolchain = "gcc"; mergeTool = "/store/gcc/bin/gcov-tool"; compilerVersion = "12"; };

  /** Does the list of words in a flag string contain `flag`? */
  hasFlag = flag: str: builtins.elem flag (builtins.filter builtins.isString (builtins.split "[ \n]" str));

  /** The words of a flag string. */
  words = str: builtins.filter (w: builtins.isString w && w != "") (builtins.split "[ \n]" str);

  continuousSettings = settings // { collection = "continuous"; };

  cases = [
    {
      name = "appendFlags uses env when the package has no top-level attribute";
      expr = attrs.appendFlags "NIX_CFLAGS_COMPILE" [ "-a" "-b" ] { env.NIX_CFLAGS_COMPILE = "-g"; };
      expected = { env.NIX_CFLAGS_COMPILE = "-g -a -b"; };
    }
    {
      name = "appendFlags keeps other env variables";
      expr = attrs.appendFlags "NIX_CFLAGS_COMPILE" [ "-a" ] { env.FOO = "1"; };
      expected = { env = { FOO = "1"; NIX_CFLAGS_COMPILE = "-a"; }; };
    }
    {
      name = "appendFlags appends to a top-level attribute instead of adding env";
      expr = attrs.appendFlags "NIX_CFLAGS_COMPILE" [ "-a" ] { NIX_CFLAGS_COMPILE = "-DX"; };
      expected = { NIX_CFLAGS_COMPILE = "-DX -a"; };
    }
    {
      name = "appendFlags joins a top-level list";
      expr = attrs.appendFlags "NIX_CFLAGS_COMPILE" [ "-a" ] { NIX_CFLAGS_COMPILE = [ "-DX" "-DY" ]; };
      expected = { NIX_CFLAGS_COMPILE = "-DX -DY -a"; };
    }
    {
      name = "appendFlags with no flags changes nothing";
      expr = attrs.appendFlags "NIX_LDFLAGS" [ ] { };
      expected = { };
    }
    {
      name = "the variants keep both flag variables in env";
      expr =
        let r = attrs.profileAttrs settings { env.NIX_CFLAGS_COMPILE = "-g"; };
        in r.env;
      expected = { NIX_CFLAGS_COMPILE = "-g -fprofile-generate=/var/tmp/pgo-test/llvm"; NIX_LDFLAGS = "--build-id"; };
    }
    {
      name = "the variants mix a top-level CFLAGS with env LDFLAGS";
      expr =
        let r = attrs.profileAttrs settings { NIX_CFLAGS_COMPILE = "-g"; };
        in [ r.NIX_CFLAGS_COMPILE r.env ];
      expected = [ "-g -fprofile-generate=/var/tmp/pgo-test/llvm" { NIX_LDFLAGS = "--build-id"; } ];
    }
    {
      name = "clang profile flags write to the default dir and never to the current directory";
      expr = flags.profileFlags { toolchain = "clang"; defaultProfileDir = "/d"; };
      expected = { compile = [ "-fprofile-generate=/d/llvm" ]; link = [ "--build-id" ]; };
    }
    {
      name = "gcc profile flags use atomic counters";
      expr = (flags.profileFlags { toolchain = "gcc"; defaultProfileDir = "/d"; }).compile;
      expected = [ "-fprofile-update=prefer-atomic" ];
    }
    {
      name = "gcc runtime flags bake a per-output directory and strip the build dir";
      expr = flags.gccRuntimeFlags { mode = "profile"; defaultProfileDir = "/d"; };
      expected = "-fprofile-prefix-path=$NIX_BUILD_TOP -fprofile-generate=/d/gcda/$(basename \"$out\")";
    }
    {
      name = "clang optimize flags use the profile and silence -Werror breakers";
      expr = (flags.optimizeFlags { toolchain = "clang"; profile = "/p.profdata"; }).compile;
      expected = [
        "-fprofile-use=/p.profdata"
        "-Wno-profile-instr-unprofiled"
        "-Wno-profile-instr-out-of-date"
        "-Wno-profile-instr-missing"
        "-Wno-backend-plugin"
      ];
    }
    {
      name = "gcc optimize flags tolerate partial and mismatched profiles";
      expr = (flags.optimizeFlags { toolchain = "gcc"; profile = "/p"; }).compile;
      expected = [
        "-fprofile-use=/p"
        "-fprofile-correction"
        "-fprofile-partial-training"
        "-Wno-missing-profile"
        "-Wno-error=coverage-mismatch"
      ];
    }
    {
      name = "profile flags never go to NIX_LDFLAGS";
      expr =
        let r = attrs.profileAttrs settings { pname = "p"; };
        in builtins.filter (w: builtins.isString w && builtins.substring 0 9 w == "-fprofile") (builtins.split " " r.env.NIX_LDFLAGS);
      expected = [ ];
    }
    {
      name = "profileAttrs adds the generate flag and build ids";
      expr =
        let r = attrs.profileAttrs settings { pname = "p"; env.NIX_CFLAGS_COMPILE = "-DP"; };
        in [ r.env.NIX_CFLAGS_COMPILE r.env.NIX_LDFLAGS r.pgoKind r.pgoToolchain r.prePhases r.postPhases ];
      expected = [ "-DP -fprofile-generate=/var/tmp/pgo-test/llvm" "--build-id" "profile" "clang" [ "pgoPreparePhase" ] [ "pgoManifestPhase" ] ];
    }
    {
      name = "profileAttrs keeps a package's own pre and post phases";
      expr =
        let r = attrs.profileAttrs settings { prePhases = [ "a" ]; postPhases = "b"; };
        in [ r.prePhases r.postPhases ];
      expected = [ [ "a" "pgoPreparePhase" ] "b pgoManifestPhase" ];
    }
    {
      name = "a package with explicit phases gets ours around them";
      expr = (attrs.profileAttrs settings { phases = [ "buildPhase" ]; }).phases;
      expected = [ "pgoPreparePhase" "buildPhase" "pgoManifestPhase" ];
    }
    {
      name = "profileAttrs with a top-level NIX_CFLAGS_COMPILE does not add env.NIX_CFLAGS_COMPILE";
      expr =
        let r = attrs.profileAttrs settings { NIX_CFLAGS_COMPILE = "-DT"; };
        in [ r.NIX_CFLAGS_COMPILE (r.env ? NIX_CFLAGS_COMPILE) ];
      expected = [ "-DT -fprofile-generate=/var/tmp/pgo-test/llvm" false ];
    }
    {
      name = "gcc profileAttrs sets up the runtime flags in the prepare phase";
      expr = hasFlag "-fprofile-generate=/var/tmp/pgo-test/gcda/$(basename" (attrs.profileAttrs gccSettings { }).pgoPrepare;
      expected = true;
    }
    {
      name = "optimizeAttrs checks the profile before building";
      expr =
        let r = attrs.optimizeAttrs (settings // { profile = "/p.profdata"; }) { };
        in [ r.pgoKind r.pgoProfile (hasFlag "pgoCheckProfile" r.pgoPrepare) (hasFlag "-fprofile-use=/p.profdata" r.env.NIX_CFLAGS_COMPILE) ];
      expected = [ "optimized" "/p.profdata" true true ];
    }
    {
      name = "the manifest: what evaluation knows as JSON, in the file's order; the rest (?) and the ELF files ([) left to the build";
      expr = map (builtins.split "\n") [
        (attrs.profileAttrs gccSettings { }).pgoManifestLayout
        (attrs.optimizeAttrs (settings // { profile = "/p \"q\".profdata"; }) { }).pgoManifestLayout
      ];
      expected = map (lines: builtins.concatLists (map (l: [ l [ ] ]) lines) ++ [ "[binaries" ]) [
        [
          "=nixPgo\t1" "=kind\t\"profile\"" "?name" "?pname" "?version" "?outPath" "=toolchain\t\"gcc\"" "=compilerVersion\t\"12\""
          "=mergeTool\t\"/store/gcc/bin/gcov-tool\"" "=defaultProfileDir\t\"/var/tmp/pgo-test\"" "?gcdaDir" "=collection\t\"exit\"" "=spoolLayout\t2"
        ]
        [
          # No merge tool: an optimized build must not keep it in its runtime closure.
          "=nixPgo\t1" "=kind\t\"optimized\"" "?name" "?pname" "?version" "?outPath" "=toolchain\t\"clang\"" "=compilerVersion\t\"16\""
          "=defaultProfileDir\t\"/var/tmp/pgo-test\"" "=gcdaDir\tnull" "=profile\t\"/p \\\"q\\\".profdata\"" "?profileSha256"
        ]
      ];
    }
    {
      name = "toolchain detection follows stdenv.cc";
      expr = map toolchain.detectToolchain [ { cc.isClang = true; } { cc = { isGNU = true; isClang = false; }; } ];
      expected = [ "clang" "gcc" ];
    }
    {
      name = "an unknown compiler is refused";
      expr = (builtins.tryEval (toolchain.detectToolchain { cc = { name = "tcc"; }; })).success;
      expected = false;
    }
    {
      name = "the merge tool comes from the compiler's own LLVM";
      expr = toolchain.mergeToolFor "clang" { cc.cc.libllvm = "/store/llvm"; };
      expected = "/store/llvm/bin/llvm-profdata";
    }
    {
      name = "gcc merges with its own gcov-tool";
      expr = toolchain.mergeToolFor "gcc" { cc.cc = "/store/gcc"; };
      expected = "/store/gcc/bin/gcov-tool";
    }
    {
      name = "the instrumented variant keeps the profiles of programs its build runs in the build";
      expr = map (s: hasFlag "pgoIsolateBuildProfiles" (attrs.profileAttrs s { }).pgoPrepare) [ settings gccSettings ];
      expected = [ true true ];
    }
    {
      name = "isolation comes before the GCC flags and the optimized variant has none";
      expr = [
        (builtins.filter builtins.isString (builtins.split "\n" (attrs.profileAttrs gccSettings { }).pgoPrepare))
        (hasFlag "pgoIsolateBuildProfiles" (attrs.optimizeAttrs (settings // { profile = "/p"; }) { }).pgoPrepare)
      ];
      expected = [
        [
          "source ${../scripts/pgo.sh}"
          "pgoIsolateBuildProfiles"
          "pgoAddStartupObject ${../runtime} gcov-start"
          "export NIX_CFLAGS_COMPILE=\"\${NIX_CFLAGS_COMPILE:-} -fprofile-prefix-path=$NIX_BUILD_TOP -fprofile-generate=/var/tmp/pgo-test/gcda/$(basename \"$out\")\""
        ]
        false
      ];
    }
    {
      name = "with BOLT the optimized variant keeps its relocations; without, nothing changes";
      expr = [
        (flags.optimizeFlags { toolchain = "clang"; profile = "/p"; bolt = true; }).link
        (flags.optimizeFlags { toolchain = "clang"; profile = "/p"; }).link
        (attrs.optimizeAttrs (settings // { profile = "/p"; bolt = true; }) { }).env.NIX_LDFLAGS
      ];
      expected = [ [ "--build-id" "--emit-relocs" ] [ "--build-id" ] "--build-id --emit-relocs" ];
    }
    {
      name = "every profiling build links its toolchain's startup object (the user's directory of the spool); a PGO-optimized build the BOLT one only with BOLT";
      expr = [
        (map (s: hasFlag "gcov-start" (attrs.profileAttrs s { }).pgoPrepare) [ gccSettings settings ])
        (map (s: hasFlag "llvm-start" (attrs.profileAttrs s { }).pgoPrepare) [ gccSettings settings continuousSettings ])
        (map (bolt: hasFlag "bolt-start" (attrs.optimizeAttrs (settings // { profile = "/p"; inherit bolt; }) { }).pgoPrepare) [ true false ])
        (hasFlag "-start" (attrs.optimizeAttrs (gccSettings // { profile = "/p"; }) { }).pgoPrepare)
      ];
      expected = [ [ true false ] [ false true true ] [ true false ] false ];
    }
    {
      name = "the public interface is the user API and the documented building blocks";
      expr = [ (builtins.attrNames pgo) (builtins.attrNames pgo.adapters) (builtins.attrNames pgo.overlays) ];
      expected = [
        [ "adapters" "appendFlags" "enable" "enableWith" "flags" "optimizeAttrs" "overlays" "profileAttrs" "withProfiles" ]
        [ "optimize" "profile" "withProfileGenerate" "withProfileUse" ]
        [ "default" ]
      ];
    }
    {
      name = "the overlay adds the library itself, with its default profile dir";
      expr =
        let lib = (pgo.overlays.default { } { }).nix-pgo;
        in [ (builtins.attrNames lib == builtins.attrNames pgo) (lib.profileAttrs settings { }).pgoDefaultProfileDir ((lib.enable calc).pgo.profile.pgoDefaultProfileDir) ];
      expected = [ true "/var/tmp/pgo-test" "/var/tmp/pgo-test" ];
    }
    {
      name = "enableWith refuses an unknown option, a derivation in place of the options, and a non-set";
      expr = [
        (fails (pgo.enableWith { defaultProfileDirr = "/x"; } calc))
        (fails (pgo.enableWith { defaultProfileDirr = "/x"; }))
        (fails (pgo.enableWith calc))
        (fails (pgo.enableWith "clang"))
        (fails (pgo.enableWith { profile = null; toolchain = null; } calc).pgo.toolchain)
      ];
      expected = [ true true true true false ];
    }
    {
      name = "enableWith options override what is detected, null means not given";
      expr =
        let
          p = (pgo.enableWith { compilerVersion = 17; mergeTool = "/m/llvm-profdata"; defaultProfileDir = "/d"; toolchain = null; } calc).pgo;
        in
        [ p.toolchain p.mergeTool p.profile.pgoCompilerVersion p.profile.pgoDefaultProfileDir ];
      expected = [ "clang" "/m/llvm-profdata" "17" "/d" ];
    }
    {
      name = "enableWith option values of the wrong type fail when used";
      expr = [
        (fails (pgo.enableWith { toolchain = "msvc"; } calc).pgo.toolchain)
        (fails (pgo.enableWith { defaultProfileDir = "relative"; } calc).pgo.profile.pgoDefaultProfileDir)
        (fails (pgo.enableWith { compilerVersion = [ ]; } calc).pgo.profile.pgoCompilerVersion)
        (fails (pgo.enableWith { toolchain = "msvc"; } calc).name)
      ];
      expected = [ true true true false ];
    }
    {
      name = "option values are checked only when used";
      expr = (pgo.enableWith { profile = throw "never forced"; toolchain = "gcc"; } calc).pgo.toolchain;
      expected = "gcc";
    }
    {
      name = "a relative default profile dir is refused";
      expr = fails ((import ../. { defaultProfileDir = "tmp"; }).enable calc).pgo.profile.pgoDefaultProfileDir;
      expected = true;
    }
    {
      name = "the adapters are stdenv -> stdenv functions giving the variants";
      expr =
        let
          profiled = ((pgo.adapters.withProfileGenerate fakeStdenv).mkDerivation { pname = "p"; }).attrs;
          optimized = ((pgo.adapters.withProfileUse ../flags.nix fakeStdenv).mkDerivation { pname = "p"; }).attrs;
        in
        [ profiled.pgoKind profiled.env.NIX_CFLAGS_COMPILE optimized.pgoKind optimized.pgoProfile ];
      expected = [ "profile" "-fprofile-generate=/var/tmp/pgo-test/llvm" "optimized" "${../flags.nix}" ];
    }
    {
      name = "the old adapter names are aliases of the new ones";
      expr =
        let
          build = stdenv: (stdenv.mkDerivation { pname = "p"; }).attrs;
        in
        [
          (build (pgo.adapters.profile fakeStdenv) == build (pgo.adapters.withProfileGenerate fakeStdenv))
          (build (pgo.adapters.optimize ../flags.nix fakeStdenv) == build (pgo.adapters.withProfileUse ../flags.nix fakeStdenv))
        ];
      expected = [ true true ];
    }
    {
      name = "continuous collection adds counter relocation and no value profiling to the clang flags";
      expr = [
        (flags.profileFlags { toolchain = "clang"; defaultProfileDir = "/d"; collection = "continuous"; })
        (flags.profileFlags { toolchain = "clang"; defaultProfileDir = "/d"; collection = "exit"; })
      ];
      expected = [
        {
          compile = [
            "-fprofile-generate=/d/llvm"
            "-mllvm"
            "-runtime-counter-relocation"
            "-mllvm"
            "-disable-vp=true"
            "-Wno-unused-command-line-argument"
          ];
          link = [ "--build-id" ];
        }
        { compile = [ "-fprofile-generate=/d/llvm" ]; link = [ "--build-id" ]; }
      ];
    }
    {
      name = "continuous collection is clang only, and an unknown collection is refused by the flags";
      expr = [
        (fails (flags.profileFlags { toolchain = "gcc"; defaultProfileDir = "/d"; collection = "continuous"; }))
        (fails (flags.profileFlags { toolchain = "clang"; defaultProfileDir = "/d"; collection = "sometimes"; }))
        (fails (flags.profileFlags { toolchain = "gcc"; defaultProfileDir = "/d"; collection = "exit"; }))
      ];
      expected = [ true true false ];
    }
    {
      name = "the continuous instrumented variant keeps the -fprofile-* flags out of NIX_LDFLAGS and the -mllvm pairs together";
      expr =
        let r = attrs.profileAttrs continuousSettings { pname = "p"; env.NIX_CFLAGS_COMPILE = "-DP"; };
        in [ (words r.env.NIX_CFLAGS_COMPILE) r.env.NIX_LDFLAGS r.pgoCollection ];
      expected = [
        [ "-DP" "-fprofile-generate=/var/tmp/pgo-test/llvm" "-mllvm" "-runtime-counter-relocation" "-mllvm" "-disable-vp=true" "-Wno-unused-command-line-argument" ]
        "--build-id"
        "continuous"
      ];
    }
    {
      name = "the prepare phase links the startup object after isolating the build's own profiles, the same one for both collections";
      expr = [
        (builtins.split "\n" (attrs.profileAttrs continuousSettings { }).pgoPrepare)
        ((attrs.profileAttrs settings { }).pgoPrepare == (attrs.profileAttrs continuousSettings { }).pgoPrepare)
        (attrs.profileAttrs settings { }).pgoCollection
      ];
      expected = [
        [ "source ${../scripts/pgo.sh}" [ ] "pgoIsolateBuildProfiles" [ ] "pgoAddStartupObject ${../runtime} llvm-start" ]
        true
        "exit"
      ];
    }
    {
      name = "the optimized variant is the same whichever way its profile was collected";
      expr = [
        (attrs.optimizeAttrs (continuousSettings // { profile = "/p.profdata"; }) { pname = "p"; }
          == attrs.optimizeAttrs (settings // { profile = "/p.profdata"; }) { pname = "p"; })
        ((attrs.optimizeAttrs (continuousSettings // { profile = "/p.profdata"; }) { }) ? pgoCollection)
        (((pgo.enableWith { collection = "continuous"; } calc).pgo.optimize ../flags.nix).drvPath
          == ((pgo.enable calc).pgo.optimize ../flags.nix).drvPath)
      ];
      expected = [ true false true ];
    }
    {
      name = "enableWith passes collection to the instrumented variant; exit is the default";
      expr = [
        (pgo.enableWith { collection = "continuous"; } calc).pgo.profile.pgoCollection
        (hasFlag "-runtime-counter-relocation" (pgo.enableWith { collection = "continuous"; } calc).pgo.profile.NIX_CFLAGS_COMPILE)
        (pgo.enableWith { collection = null; } calc).pgo.profile.pgoCollection
        (pgo.enable calc).pgo.profile.pgoCollection
        ((pgo.adapters.withProfileGenerate fakeStdenv).mkDerivation { pname = "p"; }).attrs.pgoCollection
      ];
      expected = [ "continuous" true "exit" "exit" "exit" ];
    }
    {
      name = "continuous collection on a GCC package fails in both variants, not in pgo.toolchain";
      expr =
        let p = (pgo.enableWith { collection = "continuous"; } wordfreq).pgo;
        in [ p.toolchain (fails p.profile.name) (fails (p.optimize ../flags.nix).name) (fails (pgo.enable wordfreq).pgo.profile.name) ];
      expected = [ "gcc" true true false ];
    }
    {
      name = "a collection other than exit or continuous fails when used";
      expr = [
        (fails (pgo.enableWith { collection = "sometimes"; } calc).pgo.profile.pgoCollection)
        (fails (pgo.enableWith { collection = true; } calc).pgo.profile.pgoCollection)
        (fails (pgo.enableWith { collection = "sometimes"; } calc).pgo.toolchain)
      ];
      expected = [ true true false ];
    }
    {
      name = "the library's default profile dir is configurable";
      expr = (pgo.flags.profileFlags { toolchain = "clang"; defaultProfileDir = "/x"; }).compile;
      expected = [ "-fprofile-generate=/x/llvm" ];
    }
    {
      name = "the flake's NixOS and home-manager modules import the modules and default to the flake's package";
      expr =
        let
          # Only what the outputs use of nixpkgs: genAttrs, and callPackage for the package.
          nixpkgs = {
            lib.genAttrs = names: f: builtins.listToAttrs (map (name: { inherit name; value = f name; }) names);
            legacyPackages = builtins.listToAttrs (map (name: { inherit name; value = { callPackage = file: args: "nix-pgo built from ${baseNameOf file}"; }; }) [ "x86_64-linux" "aarch64-linux" ]);
          };
          outputs = (import ../../flake.nix).outputs { self = outputs; inherit nixpkgs; };
          moduleArgs = { pkgs.stdenv.hostPlatform.system = "aarch64-linux"; lib.mkDefault = value: { default = value; }; };
          describe = module: { imports = map baseNameOf module.imports; inherit (module.services.nix-pgo) package; };
        in
        [ (describe (outputs.nixosModules.default moduleArgs)) (describe (outputs.homeManagerModules.default moduleArgs)) ];
      expected =
        let
          package.default = "nix-pgo built from package.nix";
        in
        [ { imports = [ "nixos-module.nix" ]; inherit package; } { imports = [ "home-manager-module.nix" ]; inherit package; } ];
    }
  ];

  failures = builtins.filter (c: c.expr != c.expected) cases;
in
{
  total = builtins.length cases;
  failures = map (c: { inherit (c) name expr expected; }) failures;
}
