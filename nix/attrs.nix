/**
  Functions from a derivation's attributes to the attributes that change. They
  are used by `overrideAttrs` (per package) and by the stdenv adapters alike.
*/
let
  inherit (builtins) concatStringsSep isList toString;

  flagsLib = import ./flags.nix;
  manifest = import ./manifest.nix;

  joinFlags = flags: concatStringsSep " " flags;

  appendWords = old: extra: if old == "" then extra else "${old} ${extra}";

  /**
    Append flags to a NIX_* variable where the package keeps it: the top-level
    attribute when the package sets one (setting `env.X` too would be an
    evaluation error in nixpkgs), otherwise `env.X`.

    # Example

    ```nix
    appendFlags "NIX_CFLAGS_COMPILE" [ "-O3" ] { env.NIX_CFLAGS_COMPILE = "-g"; }
    => { env = { NIX_CFLAGS_COMPILE = "-g -O3"; }; }
    ```
  */
  appendFlags =
    var: flags: attrs:
    if flags == [ ] then
      { }
    else if attrs ? ${var} then
      { ${var} = appendWords (toString attrs.${var}) (joinFlags flags); }
    else
      {
        env = (attrs.env or { }) // {
          ${var} = appendWords (toString (attrs.env.${var} or "")) (joinFlags flags);
        };
      };

  /**
    Add a phase name to a phase list that may be a list or a string.

    # Example

    ```nix
    addPhase "postPhases" "pgoManifestPhase" { postPhases = "a"; }
    => { postPhases = "a pgoManifestPhase"; }
    ```
  */
  addPhase =
    listName: phase: attrs:
    let
      old = attrs.${listName} or [ ];
    in
    {
      ${listName} = if isList old then old ++ [ phase ] else appendWords old phase;
    };

  /**
    Add compile and link flags. The second step sees the first one's result,
    so two changes to `env` do not replace each other.

    # Example

    ```nix
    applyFlags { compile = [ "-O3" ]; link = [ "--build-id" ]; } { }
    => { env = { NIX_CFLAGS_COMPILE = "-O3"; NIX_LDFLAGS = "--build-id"; }; }
    ```
  */
  applyFlags =
    flags: attrs:
    let
      compile = appendFlags "NIX_CFLAGS_COMPILE" flags.compile attrs;
      link = appendFlags "NIX_LDFLAGS" flags.link (attrs // compile);
    in
    compile // link;

  /**
    The shell code of the phase that runs before all others. The instrumented
    variant first sends whatever the build's own programs write (profiles of
    configure tests, code generators, test suites) below the build directory,
    then compiles the startup object of its toolchain (runtime/: the user's
    own directory of the spool, continuous collection) and adds it to every
    link, then adds the GCC flags that need `$out`. The optimized variant
    checks its profile, and with BOLT after it links the object that points
    BOLT's profiles to the user's directory.

    # Example

    ```nix
    prepareScript { kind = "profile"; gccSetup = ""; }
    => "source /nix/store/…-pgo.sh\npgoIsolateBuildProfiles\npgoAddStartupObject /nix/store/…-runtime llvm-start"
    ```
  */
  prepareScript =
    {
      kind,
      gccSetup,
      toolchain ? "clang",
      bolt ? false,
    }:
    concatStringsSep "\n" (
      [ "source ${./scripts/pgo.sh}" ]
      ++ (if kind == "profile" then [ "pgoIsolateBuildProfiles" ] else [ ])
      ++ (
        if kind == "profile" then
          [ "pgoAddStartupObject ${./runtime} ${if toolchain == "gcc" then "gcov-start" else "llvm-start"}" ]
        else
          [ ]
      )
      ++ (if kind == "optimized" then [ "pgoCheckProfile" ] else [ ])
      ++ (if kind == "optimized" && bolt then [ "pgoAddStartupObject ${./runtime} bolt-start" ] else [ ])
      ++ (if gccSetup == "" then [ ] else [ "export NIX_CFLAGS_COMPILE=\"\${NIX_CFLAGS_COMPILE:-} ${gccSetup}\"" ])
    );

  /**
    Run pgoPrepare first and write the manifest last. A package that lists its
    own `phases` ignores pre/postPhases, so extend that list instead.

    # Example

    ```nix
    (withPhases { phases = [ "buildPhase" ]; } { }).phases
    => [ "pgoPreparePhase" "buildPhase" "pgoManifestPhase" ]
    ```
  */
  withPhases =
    attrs: changes:
    let
      manifestPhase = "source ${./scripts/pgo.sh}; pgoWriteManifest";
    in
    changes
    // { pgoManifestPhase = manifestPhase; pgoPreparePhase = "eval \"$pgoPrepare\""; }
    // (
      if attrs ? phases then
        {
          phases =
            let old = attrs.phases; in
            if isList old then [ "pgoPreparePhase" ] ++ old ++ [ "pgoManifestPhase" ]
            else "pgoPreparePhase ${old} pgoManifestPhase";
        }
      else
        addPhase "prePhases" "pgoPreparePhase" attrs // addPhase "postPhases" "pgoManifestPhase" attrs
    );

  /**
    The manifest's members: what is known here, in the order of the file,
    and what the build fills in (its name and output, the gcda directory
    below `$out`'s name, the profile's hash, the ELF files).
  */
  manifestMembers =
    {
      kind,
      toolchain,
      mergeTool,
      compilerVersion,
      defaultProfileDir,
      profile,
      collection,
    }:
    let
      inherit (manifest) fixed fact;
      profiling = kind == "profile";
    in
    manifest.head kind
    ++ [
      (fixed "toolchain" toolchain)
      (fixed "compilerVersion" compilerVersion)
    ]
    # An optimized build must not keep the merge tool in its runtime closure.
    ++ (if profiling then [ (fixed "mergeTool" mergeTool) ] else [ ])
    ++ [
      (fixed "defaultProfileDir" defaultProfileDir)
      (if profiling && toolchain == "gcc" then fact "gcdaDir" else fixed "gcdaDir" null)
    ]
    ++ (
      if profiling then
        [
          (fixed "collection" collection)
          (fixed "spoolLayout" 2)
        ]
      else
        [
          (fixed "profile" profile)
          (fact "profileSha256")
        ]
    )
    ++ [ (manifest.list "binaries") ];

  /**
    What both variants set: their flags, the pgo* variables the phases read,
    and the phases themselves. `profile` is "" for the instrumented variant.
    `collection` matters to the instrumented variant only: the optimized one
    is the same whichever way its profile was collected.
  */
  variantAttrs =
    {
      kind,
      flags,
      gccMode,
      toolchain,
      mergeTool,
      compilerVersion,
      defaultProfileDir,
      profile,
      collection ? "exit",
      bolt ? false,
    }:
    attrs:
    let
      gccSetup = if toolchain == "gcc" then flagsLib.gccRuntimeFlags { mode = gccMode; inherit defaultProfileDir; } else "";
    in
    withPhases attrs (
      applyFlags flags attrs
      // {
        pgoKind = kind;
        pgoToolchain = toolchain;
        pgoMergeTool = mergeTool;
        pgoCompilerVersion = compilerVersion;
        pgoDefaultProfileDir = defaultProfileDir;
        pgoProfile = profile;
        pgoPrepare = prepareScript { inherit kind gccSetup toolchain bolt; };
      }
      // (if kind == "profile" then { pgoCollection = collection; } else { })
      // manifest.attrs (manifestMembers { inherit kind toolchain mergeTool compilerVersion defaultProfileDir profile collection; })
    );

  /**
    Attributes that turn a derivation into its instrumented variant.
    `collection` ("exit" unless given) is "continuous" for programs that run
    for days (clang only, see flags.continuousFlags).

    # Example

    ```nix
    profileAttrs {
      toolchain = "clang"; mergeTool = "/nix/store/…-llvm/bin/llvm-profdata";
      compilerVersion = "16"; defaultProfileDir = "/tmp/nix-pgo";
    } { pname = "hello"; }
    => { env = { NIX_CFLAGS_COMPILE = "-fprofile-generate=/tmp/nix-pgo/llvm"; NIX_LDFLAGS = "--build-id"; }; pgoKind = "profile"; … }
    ```
  */
  profileAttrs =
    settings@{
      toolchain,
      mergeTool,
      compilerVersion,
      defaultProfileDir,
      collection ? "exit",
    }:
    variantAttrs (
      settings
      // {
        kind = "profile";
        inherit collection;
        flags = flagsLib.profileFlags { inherit toolchain defaultProfileDir collection; };
        gccMode = "profile";
        profile = "";
      }
    );

  /**
    Attributes that turn a derivation into its optimized variant, given the
    profile as a store path string. A `collection` setting is accepted and
    changes nothing.

    # Example

    ```nix
    optimizeAttrs {
      toolchain = "gcc"; mergeTool = "/nix/store/…-gcc/bin/gcov-tool";
      compilerVersion = "12"; defaultProfileDir = "/tmp/nix-pgo"; profile = "/nix/store/…-gcda";
    } { pname = "hello"; }
    => { env = { NIX_CFLAGS_COMPILE = "-fprofile-use=/nix/store/…-gcda …"; … }; pgoKind = "optimized"; … }
    ```
  */
  optimizeAttrs =
    settings@{
      toolchain,
      mergeTool,
      compilerVersion,
      defaultProfileDir,
      profile,
      collection ? "exit",
      bolt ? false,
    }:
    variantAttrs (
      settings
      // {
        kind = "optimized";
        flags = flagsLib.optimizeFlags { inherit toolchain profile bolt; };
        gccMode = "optimize";
      }
    );
in
{
  inherit appendFlags profileAttrs optimizeAttrs;
}
