/**
  Nix-level unit tests of nix/bolt.nix: a list of { name, expr, expected },
  evaluated to the failing cases (an empty list when all pass). Nothing is
  built, only evaluated.

  # Example

  ```sh
  nix-instantiate --eval --strict --json nix/tests/bolt.nix
  => {"failures":[],"total":…}
  ```
*/
let
  bolt = import ../bolt.nix;
  pgo = import ../. { defaultProfileDir = "/var/tmp/pgo-test"; };
  stdenvs = import ../../examples/stdenv { };
  calc = pgo.enable (import ../../examples/pkgs/calc { stdenv = stdenvs.clangStdenv; });
  optimized = calc.pgo.optimize ../flags.nix;
  multi = stdenvs.clangStdenv.mkDerivation {
    pname = "multi";
    version = "2.0";
    outputs = [ "out" "lib" ];
    src = ../../examples/pkgs/calc/src;
  };

  tools = {
    llvmBolt = "/store/bolt/bin/llvm-bolt";
    mergeFdata = "/store/bolt/bin/merge-fdata";
  };
  dir = "/var/tmp/pgo-test/bolt";

  instrumented = bolt.instrument { inherit optimized tools; boltDir = dir; };
  final = bolt.optimize { inherit optimized tools; profile = ../flags.nix; };

  /** Does evaluating `expr` (deeply) throw? */
  fails = expr: !(builtins.tryEval (builtins.deepSeq expr expr)).success;

  words = str: builtins.filter (w: builtins.isString w && w != "") (builtins.split " " str);

  cases = [
    {
      name = "the optimize flags are what BOLT 16 accepts (hfsort+, not cdsort)";
      expr = bolt.optimizeFlags;
      expected = [
        "-reorder-blocks=ext-tsp"
        "-reorder-functions=hfsort+"
        "-split-functions"
        "-split-all-cold"
        "-split-eh"
        "-icf=1"
      ];
    }
    {
      name = "instrumented files write one file per process, at exit unless a dump interval is given";
      expr = [
        (words instrumented.boltFlags)
        (words (bolt.instrument { inherit optimized tools; boltDir = dir; dumpInterval = 600; }).boltFlags)
      ];
      expected = [
        [ "-bolt-info=0" "-no-huge-pages" "-instrumentation-file-append-pid" ]
        [ "-bolt-info=0" "-no-huge-pages" "-instrumentation-file-append-pid" "-instrumentation-sleep-time=600" "-instrumentation-no-counters-clear" ]
      ];
    }
    {
      name = "a dump interval that is not a positive number of seconds is refused";
      expr = map (d: fails (bolt.instrument { inherit optimized tools; boltDir = dir; dumpInterval = d; }).boltFlags) [ 0 "10" null ];
      expected = [ true true false ];
    }
    {
      name = "the PGO-optimized variant keeps its relocations; the baked directory is bolt/ below the spool";
      expr = [ bolt.linkFlags (bolt.boltDirFor "/var/lib/nix-pgo/spool") ];
      expected = [ [ "--emit-relocs" ] "/var/lib/nix-pgo/spool/bolt" ];
    }
    {
      name = "toolsFrom finds both tools in a BOLT package";
      expr = bolt.toolsFrom "/store/bolt";
      expected = { llvmBolt = "/store/bolt/bin/llvm-bolt"; mergeFdata = "/store/bolt/bin/merge-fdata"; };
    }
    {
      name = "both variants keep the name, pname, version and outputs of the PGO-optimized derivation";
      expr = map (d: [ d.name d.pname d.version d.outputs ]) [ instrumented final ];
      expected = [
        [ "calc-1.0" "calc" "1.0" [ "out" ] ]
        [ "calc-1.0" "calc" "1.0" [ "out" ] ]
      ];
    }
    {
      name = "the variants take the PGO-optimized outputs as input and say which kind they are";
      expr = [
        instrumented.boltKind
        final.boltKind
        (instrumented.boltInputs == "out=${optimized.outPath}")
        (final.boltInputs == instrumented.boltInputs)
        instrumented.boltDir
        instrumented.boltDumpInterval
      ];
      expected = [ "bolt-profile" "bolt-optimized" true true dir "" ];
    }
    {
      name = "the manifest: the PGO build's compiler, the tools, directory and flags as JSON; the rest left to the build";
      expr = map (d: builtins.filter builtins.isString (builtins.split "\n" d.pgoManifestLayout)) [
        (bolt.instrument { inherit optimized tools; boltDir = dir; dumpInterval = 60; })
        final
      ];
      expected = [
        [
          "=nixPgo\t1" "=kind\t\"bolt-profile\"" "?name" "?pname" "?version" "?outPath" "=toolchain\t\"clang\"" "=compilerVersion\t\"16\""
          "?pgoProfileSha256" "=boltTool\t\"/store/bolt/bin/llvm-bolt\"" "=mergeTool\t\"/store/bolt/bin/merge-fdata\""
          "=boltDir\t\"/var/tmp/pgo-test/bolt\"" "=spoolLayout\t2" "=fdataName\t\"<uid>/<inputBuildId>.<pid>.fdata\"" "=dumpInterval\t60"
          "=boltFlags\t\"-bolt-info=0 -no-huge-pages -instrumentation-file-append-pid -instrumentation-sleep-time=60 -instrumentation-no-counters-clear\""
          "?smokeTest" "[binaries"
        ]
        [
          "=nixPgo\t1" "=kind\t\"bolt-optimized\"" "?name" "?pname" "?version" "?outPath" "=toolchain\t\"clang\"" "=compilerVersion\t\"16\""
          "?pgoProfileSha256" "=profile\t\"${../flags.nix}\""
          "=boltFlags\t\"-bolt-info=0 -no-huge-pages -reorder-blocks=ext-tsp -reorder-functions=hfsort+ -split-functions -split-all-cold -split-eh -icf=1\""
          "?smokeTest" "[binaries"
        ]
      ];
    }
    {
      name = "the PGO manifest's profile hash is made again from the PGO-optimized build's profile";
      expr = [ (final.boltPgoProfile == optimized.pgoProfile) (bolt.instrument { optimized = calc; inherit tools; boltDir = dir; }).boltPgoProfile ];
      expected = [ true "" ];
    }
    {
      name = "every output is copied: a multi-output package keeps its outputs";
      expr =
        let d = bolt.instrument { optimized = multi; inherit tools; boltDir = dir; };
        in [ d.outputs (words d.boltInputs == [ "out=${multi.out.outPath}" "lib=${multi.lib.outPath}" ]) ];
      expected = [ [ "out" "lib" ] true ];
    }
    {
      name = "the flags: no BOLT note, 4 KiB alignment, then the variant's own";
      expr = [ (words instrumented.boltFlags) (words final.boltFlags) ];
      expected = [
        [ "-bolt-info=0" "-no-huge-pages" "-instrumentation-file-append-pid" ]
        ([ "-bolt-info=0" "-no-huge-pages" ] ++ bolt.optimizeFlags)
      ];
    }
    {
      name = "optimize flags can be replaced, instrument flags extended";
      expr = [
        (words (bolt.optimize { inherit optimized tools; profile = ../flags.nix; flags = [ "-reorder-blocks=ext-tsp" ]; }).boltFlags)
        (words (bolt.instrument { inherit optimized tools; boltDir = dir; extraFlags = [ "-conservative-instrumentation" ]; }).boltFlags)
      ];
      expected = [
        [ "-bolt-info=0" "-no-huge-pages" "-reorder-blocks=ext-tsp" ]
        [ "-bolt-info=0" "-no-huge-pages" "-instrumentation-file-append-pid" "-conservative-instrumentation" ]
      ];
    }
    {
      name = "a dump interval reaches the flags and the build";
      expr =
        let d = bolt.instrument { inherit optimized tools; boltDir = dir; dumpInterval = 300; };
        in [ d.boltDumpInterval (builtins.elem "-instrumentation-sleep-time=300" (words d.boltFlags)) ];
      expected = [ "300" true ];
    }
    {
      name = "the smoke test is passed on as shell code";
      expr = [
        (bolt.instrument { inherit optimized tools; boltDir = dir; smokeTest = "\"$out/bin/calc\" 1"; }).boltSmokeTest
        instrumented.boltSmokeTest
        (fails (bolt.optimize { inherit optimized tools; profile = ../flags.nix; smokeTest = [ "bin/calc" ]; }).boltSmokeTest)
      ];
      expected = [ "\"$out/bin/calc\" 1" "" true ];
    }
    {
      name = "the baked directory must be an absolute path string without blanks";
      expr = map (d: fails (bolt.instrument { inherit optimized tools; boltDir = d; }).boltDir) [
        "relative/bolt"
        "/with space/bolt"
        "/quote'/bolt"
        ../flags.nix
        "/var/spool/nix-pgo/bolt"
      ];
      expected = [ true true true true false ];
    }
    {
      name = "missing or wrong arguments are errors that say what is needed";
      expr = [
        (fails (bolt.instrument { optimized = "calc"; inherit tools; boltDir = dir; }).name)
        (fails (bolt.instrument { inherit optimized; tools = { }; boltDir = dir; }).boltTool)
        (fails (bolt.optimize { inherit optimized tools; profile = null; }).boltProfile)
        (fails (bolt.optimize { inherit optimized tools; profile = "/nonexistent/calc-bolt"; }).boltProfile)
        (fails (bolt.optimize { inherit optimized tools; profile = 3; }).boltProfile)
      ];
      expected = [ true true true true true ];
    }
    {
      name = "an unknown option, or a missing one, is an error";
      expr = [
        (fails (bolt.instrument { inherit optimized tools; boltDri = dir; }).name)
        (fails (bolt.instrument { inherit optimized tools; }).boltDir)
        (fails (bolt.optimize { inherit optimized; profile = ../flags.nix; }).boltTool)
        (fails (bolt.optimize { inherit optimized tools; profile = ../flags.nix; extraFlags = [ ]; }).name)
      ];
      expected = [ true true true true ];
    }
    {
      name = "the profile error names the package and the path";
      expr =
        let r = builtins.tryEval (bolt.optimize { inherit optimized tools; profile = "/nonexistent/calc-bolt"; }).boltProfile;
        in r.success;
      expected = false;
    }
    {
      name = "the optimized variant depends on the profile, the instrumented one on the baked directory";
      expr = [
        (final.drvPath == (bolt.optimize { inherit optimized tools; profile = ../attrs.nix; }).drvPath)
        (instrumented.drvPath == (bolt.instrument { inherit optimized tools; boltDir = "/elsewhere/bolt"; }).drvPath)
        (instrumented.drvPath == (bolt.instrument { inherit optimized tools; boltDir = dir; }).drvPath)
      ];
      expected = [ false false true ];
    }
    {
      name = "the adapters give the BOLT variant of what the stdenv builds";
      expr =
        let
          mk = adapter: settings: (adapter settings stdenvs.clangStdenv).mkDerivation { pname = "p"; version = "1"; src = ../../examples/pkgs/calc/src; };
          i = mk bolt.adapters.withBoltGenerate { inherit tools; boltDir = dir; };
          o = mk bolt.adapters.withBoltUse { inherit tools; profile = ../flags.nix; };
        in [ i.boltKind i.name o.boltKind o.name ];
      expected = [ "bolt-profile" "p-1" "bolt-optimized" "p-1" ];
    }
  ];

  failures = builtins.filter (c: c.expr != c.expected) cases;
in
{
  total = builtins.length cases;
  failures = map (c: { inherit (c) name expr expected; }) failures;
}
