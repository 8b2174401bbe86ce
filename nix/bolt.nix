/**
  Post-link optimization with BOLT, after PGO. Two variants of a
  PGO-optimized derivation, each a pure function of its inputs and keeping the
  package's name, version and outputs:

  - `instrument`: every ELF executable and shared library of the PGO-optimized
    outputs rewritten by `llvm-bolt -instrument`. Each file writes its counts
    to `<spool>/bolt/<uid>/<build ID of the PGO file>.<pid>.fdata` when a
    process exits normally: BOLT's runtime reads no environment variable, so
    the build bakes in `BOLTDIR/<padding>/<build ID>`, and the startup object
    the PGO-optimized build linked in (runtime/bolt-start.c) rewrites that
    name when the program starts, to the user's own directory below
    `$NIX_PGO_SPOOL/bolt` (else below BOLTDIR), or to /dev/null when there is
    no safe one.
  - `optimize`: every such file rewritten by `llvm-bolt` with its merged
    profile (`merge-fdata` of those files).

  Both copy the PGO-optimized outputs (rewriting the references to those
  outputs to their own, as `replaceDependencies` does), so they depend on
  that output and not on the sources: the BOLT profile describes exactly
  those bytes. A file BOLT refuses, or that fails the smoke test, stays the
  PGO-optimized file, and `nix-support/pgo.json` says why. The PGO-optimized
  variant must be linked with `linkFlags` (`--emit-relocs`): without
  relocations BOLT refuses every file.

  Both take their options as `enableWith` does (options.nix): a name they do
  not know is an error that suggests the closest one, a value of the wrong
  type an error naming the option.

  # Example

  ```nix
  let
    bolt = import ./nix-pgo/nix/bolt.nix;
    tools = bolt.toolsFrom pkgs.llvmPackages_17.bolt;
    optimized = hello.pgo.optimized;      # linked with --emit-relocs
  in {
    profiling = bolt.instrument { inherit optimized tools; boltDir = "/var/lib/nix-pgo/spool/bolt"; };
    final = bolt.optimize { inherit optimized tools; profile = ./hello-bolt; };
  }
  ```
*/
let
  inherit (builtins)
    all
    concatStringsSep
    isList
    isString
    match
    stringLength
    ;

  helpers = import ./helpers.nix;
  manifest = import ./manifest.nix;
  optionsLib = import ./options.nix;
  inherit (optionsLib) types;

  /**
    What the optimize step asks of BOLT 16, as BOLT's documentation
    recommends: blocks laid out by ext-tsp, functions ordered by hfsort+
    (LLVM 18 replaces it by cdsort; LLVM 16 knows no cdsort), hot and cold
    parts split (also exception-handling code), identical functions folded.

    # Example

    ```nix
    optimizeFlags
    => [ "-reorder-blocks=ext-tsp" "-reorder-functions=hfsort+" "-split-functions" "-split-all-cold" "-split-eh" "-icf=1" ]
    ```
  */
  optimizeFlags = [
    "-reorder-blocks=ext-tsp"
    "-reorder-functions=hfsort+"
    "-split-functions"
    "-split-all-cold"
    "-split-eh"
    "-icf=1"
  ];

  /**
    Flags of every llvm-bolt run. `-bolt-info=0`: no `.note.bolt_info`, which
    holds BOLT's whole command line (the output's name, and with store paths
    in it references to BOLT and to the PGO-optimized output). `-no-huge-pages`:
    the new code segment aligned to 4 KiB instead of 2 MiB, which otherwise
    adds 4 to 6 MB to every file (only hugify-style huge text pages need it).
  */
  commonFlags = [
    "-bolt-info=0"
    "-no-huge-pages"
  ];

  /**
    Flags of the instrument step, besides `-instrument` and the file name
    (bolt.sh adds both per file). With `dumpInterval` (seconds), each
    instrumented module forks a watcher process that rewrites its file every
    `dumpInterval` seconds with the counts since the start and once more when
    the program has exited (even when killed); the counters are never cleared,
    so every file is cumulative. The watcher is a child of the program:
    a program that waits for all its children (`wait` until ECHILD) then never
    finishes, so this is for long-running services only.

    # Example

    ```nix
    instrumentFlags 600
    => [ "-instrumentation-file-append-pid" "-instrumentation-sleep-time=600" "-instrumentation-no-counters-clear" ]
    ```
  */
  instrumentFlags =
    dumpInterval:
    [ "-instrumentation-file-append-pid" ]
    ++ (
      if dumpInterval == null then
        [ ]
      else
        [
          "-instrumentation-sleep-time=${toString dumpInterval}"
          "-instrumentation-no-counters-clear"
        ]
    );

  /**
    What the PGO-optimized variant adds to `NIX_LDFLAGS` when BOLT is enabled:
    BOLT moves functions only in a file that keeps its relocations. It changes
    no code (the same `.text`), only adds non-loaded `.rela.*` sections
    (SQLite's speedtest1: 1.24 MB -> 1.74 MB); `strip --strip-debug` keeps them,
    `strip --strip-all` does not.
  */
  linkFlags = [ "--emit-relocs" ];

  /**
    The directory baked into instrumented files: `bolt` below the library's
    `defaultProfileDir` (the spool, where the daemon harvests).

    # Example

    ```nix
    boltDirFor "/var/lib/nix-pgo/spool"
    => "/var/lib/nix-pgo/spool/bolt"
    ```
  */
  boltDirFor = defaultProfileDir: "${defaultProfileDir}/bolt";

  /**
    What the instrument step bakes between the directory and the build ID
    of each file's name: 96 slashes. A path means the same with them; they
    mark the name for runtime/bolt-start.c (which looks for 32) and leave it
    room for a spool up to about 80 characters longer than `boltDir`'s, plus
    the user's directory.
  */
  boltPadding = concatStringsSep "" (builtins.genList (_: "/") 96);

  /**
    The tools of a BOLT package laid out as nixpkgs' `llvmPackages.bolt`:
    bin/llvm-bolt and bin/merge-fdata, and the instrumentation runtime in
    lib/libbolt_rt_instr.a, where llvm-bolt looks for it (`../lib` of the
    name it was called by; LLVM 16 takes no other directory).

    # Example

    ```nix
    toolsFrom pkgs.llvmPackages_17.bolt
    => { llvmBolt = "/nix/store/…-bolt-17/bin/llvm-bolt"; mergeFdata = "/nix/store/…-bolt-17/bin/merge-fdata"; }
    ```
  */
  toolsFrom = bolt: {
    llvmBolt = "${bolt}/bin/llvm-bolt";
    mergeFdata = "${bolt}/bin/merge-fdata";
  };

  /** The options both variants take (see options.nix). */
  commonOptions = {
    optimized = types.attrs "the PGO-optimized derivation" (v: (v.type or null) == "derivation");
    tools = types.attrs "{ llvmBolt; mergeFdata; } (e.g. bolt.toolsFrom llvmPackages.bolt)" (v: v ? llvmBolt && v ? mergeFdata);
    smokeTest = types.shellCode;
    smokeTimeout = types.seconds;
    stdenv = types.attrs "a stdenv" (v: v ? mkDerivation);
  };

  instrumentOptions = commonOptions // {
    boltDir = {
      description = "an absolute path string without blanks or quotes (in quotes: a path would be copied into the store)";
      check = dir: helpers.isAbsolute dir && match ".*[[:space:]'\"\\\\].*" dir == null && stringLength dir < 900;
    };
    dumpInterval = types.seconds;
    extraFlags = {
      description = "a list of llvm-bolt flags (strings)";
      check = v: isList v && all isString v;
    };
  };

  optimizeOptions = commonOptions // {
    profile = types.any "a path, an absolute path string or a derivation (a directory of <build id>.fdata files)";
    flags = instrumentOptions.extraFlags;
  };

  /**
    The BOLT profile as a string with store context, or an error naming the
    package: a directory of merged `.fdata` files, one per ELF file, named
    `<build ID of the PGO-optimized file>.fdata` (or `OUTPUT/PATH.fdata`, so
    a profile of an older build can still be used by path).
  */
  profilePath =
    pkgName:
    helpers.storePathOf {
      what = "BOLT profile";
      missing = "nix-pgo: no BOLT profile was selected for ${pkgName}";
    } pkgName;

  /**
    The manifest's members: what is known here (the PGO-optimized build's
    toolchain and compiler, the tools, the directory, the flags), and what
    the build fills in (its name and output, the PGO profile's hash, the
    smoke test's result, every ELF file and what became of it).
  */
  manifestMembers =
    {
      kind,
      drv,
      tools,
      flags,
      boltDir,
      dumpInterval,
      profile,
    }:
    let
      inherit (manifest) fixed fact;
    in
    manifest.head kind
    ++ [
      (fixed "toolchain" (drv.pgoToolchain or null))
      (fixed "compilerVersion" (drv.pgoCompilerVersion or null))
      (fact "pgoProfileSha256")
    ]
    ++ (
      if kind == "bolt-profile" then
        [
          # Kept in the runtime closure on purpose: the daemon merges with it.
          (fixed "boltTool" tools.llvmBolt)
          (fixed "mergeTool" tools.mergeFdata)
          (fixed "boltDir" boltDir)
          (fixed "spoolLayout" 2)
          (fixed "fdataName" "<uid>/<inputBuildId>.<pid>.fdata")
          (fixed "dumpInterval" dumpInterval)
        ]
      else
        [ (fixed "profile" profile) ]
    )
    ++ [
      (fixed "boltFlags" (concatStringsSep " " flags))
      (fact "smokeTest")
      (manifest.list "binaries")
    ];

  /**
    The derivation both variants share: the PGO-optimized outputs copied and
    rewritten by bolt.sh, with the same name, version and outputs. `opts`
    are the variant's options (see options.nix), the rest what only one of
    the variants has.
  */
  variant =
    {
      kind,
      opts,
      flags,
      boltDir ? null,
      dumpInterval ? null,
      profile ? null,
    }:
    let
      drv = opts.require "optimized";
      tools = opts.require "tools";
      smokeTest = opts.get "smokeTest" null;
      stdenv = opts.get "stdenv" drv.stdenv;
      outputs = drv.outputs or [ "out" ];
      allFlags = commonFlags ++ flags;
    in
    builtins.seq opts.checked stdenv.mkDerivation (
      {
        inherit (drv) name;
        inherit outputs;
        boltKind = kind;
        boltInputs = concatStringsSep " " (map (o: "${o}=${drv.${o}.outPath}") outputs);
        boltTool = tools.llvmBolt;
        boltMergeTool = tools.mergeFdata;
        boltFlags = concatStringsSep " " allFlags;
        boltSmokeTest = if smokeTest == null then "" else smokeTest;
        boltSmokeTimeout = toString (opts.get "smokeTimeout" 120);
        # The PGO manifest's profileSha256, made again from the same file.
        boltPgoProfile = if (drv.pgoKind or null) == "optimized" then drv.pgoProfile else "";
        buildCommand = ''
          source ${./scripts/pgo.sh}
          source ${./scripts/bolt.sh}
          boltMain
        '';
      }
      // manifest.attrs (manifestMembers {
        inherit kind drv tools boltDir dumpInterval profile;
        flags = allFlags;
      })
      // (if drv ? pname then { inherit (drv) pname; } else { })
      // (if drv ? version then { inherit (drv) version; } else { })
      // (if drv ? meta then { inherit (drv) meta; } else { })
      // (
        if kind == "bolt-profile" then
          {
            inherit boltDir boltPadding;
            boltDumpInterval = if dumpInterval == null then "" else toString dumpInterval;
          }
        else
          { boltProfile = profile; }
      )
    );

  /**
    The BOLT-instrumented variant of a PGO-optimized derivation.

    - `optimized`: the PGO-optimized derivation (linked with `linkFlags`)
    - `tools`: `{ llvmBolt; mergeFdata; }`, see `toolsFrom`;
      the BOLT of the compiler's own LLVM
    - `boltDir`: the directory baked into every file (see `boltDirFor`),
      where programs write (each in a directory of its user's own, see
      docs/harvest.md) when `NIX_PGO_SPOOL` is unset. A program that finds no
      safe directory writes nothing, so it never ends with BOLT's error. Only
      files of a PGO-optimized build that linked nix-pgo's startup object for
      BOLT (`enableWith { bolt = true; }`) are instrumented; the others stay
      the PGO-optimized files, with the reason in the manifest
    - `dumpInterval` (seconds, or null: at exit only), see `instrumentFlags`
    - `smokeTest`: shell code run in an empty directory with `$out` (and every
      other output variable) pointing once at the PGO-optimized outputs and
      once at these (instrumented copies that write below the build
      directory); a file whose presence changes its exit status or standard
      output stays uninstrumented
    - `stdenv`: the stdenv to build with (the derivation's own by default)

    # Example

    ```nix
    bolt.instrument {
      optimized = calc.pgo.optimized; tools = bolt.toolsFrom llvmPackages.bolt;
      boltDir = "/tmp/nix-pgo/bolt"; smokeTest = ''"$out/bin/calc" 1'';
    }
    ```
  */
  instrument =
    options:
    let
      opts = optionsLib.declare "bolt.instrument" instrumentOptions options;
      dumpInterval = opts.get "dumpInterval" null;
    in
    variant {
      kind = "bolt-profile";
      inherit opts dumpInterval;
      flags = instrumentFlags dumpInterval ++ opts.get "extraFlags" [ ];
      boltDir = opts.require "boltDir";
    };

  /**
    The BOLT-optimized variant of a PGO-optimized derivation, given its BOLT
    profile: a directory with one merged `.fdata` file per ELF file, named
    `<build ID of the PGO-optimized file>.fdata` (what the instrumented files
    write is `<that ID>.<pid>.fdata`; merge them with `tools.mergeFdata`),
    or `OUTPUT/PATH.fdata` (e.g. `out/bin/calc.fdata`). A file without a
    profile, one BOLT refuses and one that fails the smoke test stay the
    PGO-optimized file, with the reason in the manifest. A profile file that is
    not fdata fails the build.

    `flags` replaces `optimizeFlags` (the BOLT of another LLVM release may
    want others); `smokeTest` as for `instrument`.

    # Example

    ```nix
    bolt.optimize { optimized = calc.pgo.optimized; tools = bolt.toolsFrom llvmPackages.bolt; profile = ./calc-bolt; }
    ```
  */
  optimize =
    options:
    let
      opts = optionsLib.declare "bolt.optimize" optimizeOptions options;
    in
    variant {
      kind = "bolt-optimized";
      inherit opts;
      flags = opts.get "flags" optimizeFlags;
      profile = profilePath (helpers.nameOf (opts.require "optimized")) (opts.get "profile" null);
    };

  /**
    Stdenv adapters: given a stdenv whose derivations are PGO-optimized (e.g.
    `adapters.withProfileUse PROFILE stdenv`, linking with `linkFlags`), one
    whose every derivation is the BOLT-instrumented (`withBoltGenerate`) or
    BOLT-optimized (`withBoltUse`) variant of it. `settings` are the
    arguments of `instrument` / `optimize` without `optimized`. The BOLT
    derivation is built by the given stdenv; `overrideAttrs` on a result
    changes that derivation, not the package.

    # Example

    ```nix
    stdenvBolt = bolt.adapters.withBoltUse { tools = …; profile = ./bolt-profile; } stdenvPgo;
    ```
  */
  adapters = {
    withBoltGenerate =
      settings: stdenv:
      stdenv // { mkDerivation = args: instrument (settings // { optimized = stdenv.mkDerivation args; inherit stdenv; }); };
    withBoltUse =
      settings: stdenv:
      stdenv // { mkDerivation = args: optimize (settings // { optimized = stdenv.mkDerivation args; inherit stdenv; }); };
  };
in
{
  inherit
    instrument
    optimize
    adapters
    optimizeFlags
    linkFlags
    boltDirFor
    toolsFrom
    ;
}
