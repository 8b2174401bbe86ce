# Nix-level unit tests: a list of { name, expr, expected }. Evaluate with
#   nix-instantiate --eval --strict --json nix/tests
# which prints the failing cases (an empty list when all pass).
let
  pgo = import ../. { defaultProfileDir = "/var/tmp/pgo-test"; };
  attrs = import ../attrs.nix;
  flags = import ../flags.nix;
  toolchain = import ../toolchain.nix;

  settings = {
    toolchain = "clang";
    mergeTool = "/store/llvm/bin/llvm-profdata";
    compilerVersion = "16";
    defaultProfileDir = "/var/tmp/pgo-test";
  };
  gccSettings = settings // { toolchain = "gcc"; mergeTool = "/store/gcc/bin/gcov-tool"; compilerVersion = "12"; };

  # Does the list of words in a flag string contain `flag`?
  hasFlag = flag: str: builtins.elem flag (builtins.filter builtins.isString (builtins.split "[ \n]" str));

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
      name = "applyFlags keeps both variables in env";
      expr = attrs.applyFlags { compile = [ "-c1" ]; link = [ "--l1" ]; } { env.NIX_CFLAGS_COMPILE = "-g"; };
      expected = { env = { NIX_CFLAGS_COMPILE = "-g -c1"; NIX_LDFLAGS = "--l1"; }; };
    }
    {
      name = "applyFlags mixes a top-level CFLAGS with env LDFLAGS";
      expr = attrs.applyFlags { compile = [ "-c1" ]; link = [ "--l1" ]; } { NIX_CFLAGS_COMPILE = "-g"; };
      expected = { NIX_CFLAGS_COMPILE = "-g -c1"; env = { NIX_LDFLAGS = "--l1"; }; };
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
      name = "the library's default profile dir is configurable";
      expr = (pgo.flags.profileFlags { toolchain = "clang"; defaultProfileDir = "/x"; }).compile;
      expected = [ "-fprofile-generate=/x/llvm" ];
    }
  ];

  failures = builtins.filter (c: c.expr != c.expected) cases;
in
{
  total = builtins.length cases;
  failures = map (c: { inherit (c) name expr expected; }) failures;
}
