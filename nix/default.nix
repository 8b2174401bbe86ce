/**
  nix-pgo: profile-guided optimization for any stdenv derivation.

  The entry point of the library. It needs nothing but builtins, so it works
  with nixpkgs and with any package set that follows the stdenv interface.
  The result is the public interface: `enable`, `enableWith`, `adapters`,
  `withProfiles`, `overlays.default`, and the building blocks `flags`,
  `appendFlags`, `profileAttrs` and `optimizeAttrs`. Everything else stays in
  its own file.

  # Example

  ```nix
  let
    pgo = import ./nix-pgo/nix { defaultProfileDir = "/var/tmp/pgo"; };
  in
  (pgo.enable pkgs.hello).pgo.profile
  ```
*/
{
  /**
    The spool instrumented programs write to when NIX_PGO_SPOOL (and the
    user's own LLVM_PROFILE_FILE or GCOV_PREFIX) is unset: each into its
    user's directory below its llvm/, gcda/ or bolt/, once those exist (see
    docs/harvest.md). Never the current directory.
  */
  defaultProfileDir ? "/tmp/nix-pgo",
}:
let
  inherit (builtins) isAttrs isInt isPath isString mapAttrs typeOf;

  attrsLib = import ./attrs.nix;
  toolchainLib = import ./toolchain.nix;
  optionsLib = import ./options.nix;
  boltLib = import ./bolt.nix;
  flags = import ./flags.nix;
  helpers = import ./helpers.nix;
  inherit (helpers) nameOf;
  inherit (optionsLib) types;

  libDefaultProfileDir =
    if helpers.isAbsolute defaultProfileDir then
      defaultProfileDir
    else
      throw "nix-pgo: defaultProfileDir must be an absolute path string (in quotes: a path would be copied into the store), not ${
        if isString defaultProfileDir then ''"${defaultProfileDir}"'' else "a ${builtins.typeOf defaultProfileDir}"
      }";

  /**
    What the user gave as a profile, as a string with store context, or an
    error naming the package and the path.
  */
  profilePath =
    pkgName:
    helpers.storePathOf {
      what = "profile";
      missing = "nix-pgo: no profile was given for ${pkgName}";
    } pkgName;

  /** The options of `enableWith` (see options.nix). `profile` is checked where it is used, with a message naming the package. */
  enableWithOptions = {
    profile = types.any "a path, an absolute path string or a derivation";
    toolchain = types.enum [ "clang" "gcc" ];
    mergeTool = {
      description = "a path, a string or a derivation";
      check = v: isPath v || isString v || isAttrs v;
    };
    compilerVersion = {
      description = "a string or an integer";
      check = v: isString v || isInt v;
    };
    defaultProfileDir = types.absolutePath;
    collection = types.enum [ "exit" "continuous" ];
    bolt = types.bool;
    boltTools = {
      description = "the BOLT package of the compiler's LLVM (with bin/llvm-bolt and bin/merge-fdata), or { llvmBolt; mergeFdata; }";
      check = isAttrs;
    };
    boltProfile = types.any "a path, an absolute path string or a derivation (a directory of <build id>.fdata files)";
    boltDumpInterval = types.seconds;
    smokeTest = types.shellCode;
  };

  /** The options of the adapters: none, so everything is detected. */
  noOptions = _: default: default;

  /**
    Everything the attribute functions need about a stdenv, with the options
    that `get` reads (see options.nix) overriding what is detected.
  */
  settingsFor =
    get: stdenv:
    let
      toolchain = get "toolchain" (toolchainLib.detectToolchain stdenv);
    in
    {
      inherit toolchain;
      mergeTool = get "mergeTool" (toolchainLib.mergeToolFor toolchain stdenv);
      compilerVersion = toString (get "compilerVersion" (toolchainLib.compilerVersionOf stdenv));
      defaultProfileDir = get "defaultProfileDir" libDefaultProfileDir;
      collection = get "collection" "exit";
    };

  /**
    `settings` unchanged, or an error naming the package when they ask for
    something its compiler cannot do: continuous collection needs the LLVM
    profile runtime; libgcov writes only when a program exits.
  */
  checkCollection =
    pkgName: settings:
    if settings.collection == "continuous" && settings.toolchain != "clang" then
      throw "nix-pgo: ${pkgName} is built with GCC, and collection = \"continuous\" needs clang (libgcov writes profiles only when a program exits); remove collection = \"continuous\" from the options of ${pkgName} (its programs then contribute when they exit), or build ${pkgName} with clang"
    else
      settings;

  /**
    A stdenv whose mkDerivation applies `f` to every derivation through
    overrideAttrs. nixpkgs keeps its helper for this private, so it is re-made
    here on top of the public `stdenv.override` / `mkDerivationFromStdenv`.
  */
  extendMkDerivation =
    stdenv: f:
    if stdenv ? override then
      stdenv.override (old: {
        mkDerivationFromStdenv =
          finalStdenv:
          let
            # Without an explicit one, the default implementation is only
            # reachable through the original stdenv.
            super = (old.mkDerivationFromStdenv or (_: stdenv.mkDerivation)) finalStdenv;
          in
          args: (super args).overrideAttrs f;
      })
    else
      stdenv // { mkDerivation = args: (stdenv.mkDerivation args).overrideAttrs f; };

  /**
    A deprecated name: the same value, with a warning naming the new name when
    it is used. (builtins.warn is newer than the oldest Nix supported.)
  */
  deprecated =
    old: new: value:
    builtins.trace "warning: nix-pgo: ${old} is deprecated and will be removed in the next release; use ${new}" value;

  /**
    Make a stdenv derivation PGO-capable, with options.

    Options (all optional; null is the same as not given): `profile` (the
    merged profile that `pgo.optimized` uses), `toolchain` ("clang" or "gcc",
    detected from stdenv.cc), `mergeTool`, `compilerVersion`,
    `defaultProfileDir`, `collection` ("exit", the default, or "continuous":
    clang only, for programs that run for days; the instrumented programs keep
    their profile current in a memory-mapped file, at the cost of value
    profiles). Any other name is an error that names it and suggests the
    closest valid one; a value of the wrong type is an error when used.

    The result is the same derivation plus `pgo`:
    - `pgo.profile`: the instrumented build
    - `pgo.optimize PROFILE`: the optimized build for a merged profile (a
      .profdata file for clang, a gcda directory for GCC)
    - `pgo.optimized`: `pgo.optimize` of the `profile` option
    - `pgo.toolchain`, `pgo.mergeTool`
    - with `bolt = true`: `pgo.boltProfile`, `pgo.boltOptimize BOLT_PROFILE`,
      `pgo.boltOptimized` (of the `boltProfile` option): BOLT on `pgo.optimized`
    - `pgo.select { profile = …; boltProfile = …; }`: the same `pgo` with
      other profiles selected

    # Example

    ```nix
    hello' = nix-pgo.enableWith { profile = ./hello.profdata; } pkgs.hello;
    # nix-build -A hello'.pgo.profile ; nix-build -A hello'.pgo.optimized
    ```
  */
  enableWith =
    options:
    let
      opts = optionsLib.declare "enableWith" enableWithOptions (
        if !isAttrs options then
          throw "nix-pgo: enableWith takes an attribute set of options first, not a ${typeOf options}"
        else if options.type or null == "derivation" then
          throw "nix-pgo: enableWith takes its options first and the derivation second (enableWith { ... } drv); for no options use enable drv"
        else
          options
      );
      inherit (opts) checked get;
    in
    builtins.seq checked (
      drv:
      drv.overrideAttrs (
        finalAttrs: old:
        let
          settings = settingsFor get (finalAttrs.stdenv or old.stdenv or drv.stdenv);
          self = finalAttrs.finalPackage;
          pkgName = nameOf old;
          # The variants fail on options the compiler cannot honour;
          # pgo.toolchain and pgo.mergeTool stay readable.
          variantSettings = checkCollection pkgName settings;
          # BOLT after PGO: the PGO-optimized variant keeps its relocations, so it is the input of both BOLT variants.
          bolt = get "bolt" false;
          optimize =
            profile:
            self.overrideAttrs (
              attrsLib.optimizeAttrs (variantSettings // { profile = profilePath pkgName profile; inherit bolt; })
            );
          optimized =
            if (checked.profile or null) == null then
              throw "nix-pgo: no profile was selected for ${pkgName}; give one to pgo.optimize, or select one (e.g. --arg pgoProfiles '{ ${pkgName} = ./${pkgName}.profdata; }')"
            else
              optimize checked.profile;
          boltArgs =
            if !bolt then
              throw "nix-pgo: BOLT is not enabled for ${pkgName}; enable it with enableWith { bolt = true; boltTools = llvmPackages.bolt; … }"
            else
              {
                inherit optimized;
                tools =
                  let
                    given = get "boltTools" (throw "nix-pgo: ${pkgName} has bolt = true but no boltTools: give the BOLT package of its compiler's LLVM (nixpkgs: llvmPackages.bolt)");
                  in
                  if given ? llvmBolt then given else boltLib.toolsFrom given;
                smokeTest = get "smokeTest" null;
              };
          # bolt.nix checks the BOLT profile itself (a directory, not a .profdata file).
          boltOptimize = profile: boltLib.optimize (boltArgs // { inherit profile; });
        in
        {
          passthru = (old.passthru or { }) // {
            pgo = {
              inherit (settings) toolchain mergeTool;
              inherit bolt;
              profile = self.overrideAttrs (attrsLib.profileAttrs variantSettings);
              inherit optimize optimized;
              # BOLT variants of `optimized` (the PGO-optimized build with the selected profile).
              boltProfile = boltLib.instrument (
                boltArgs
                // {
                  boltDir = boltLib.boltDirFor settings.defaultProfileDir;
                  dumpInterval = get "boltDumpInterval" null;
                }
              );
              inherit boltOptimize;
              boltOptimized =
                if (checked.boltProfile or null) == null then
                  throw "nix-pgo: no BOLT profile was selected for ${pkgName}; give one to pgo.boltOptimize, or select one (e.g. --arg boltProfiles '{ ${pkgName} = ./${pkgName}-bolt; }')"
                else
                  boltOptimize checked.boltProfile;
              /*
                The same `pgo` with other profiles selected: the variants are the same
                derivations `optimize` and `boltOptimize` give, so one evaluation can
                name the BOLT variants of a PGO profile it got later (the NixOS module).
              */
              select = selection: (enableWith (checked // selection) drv).pgo;
            };
          };
        }
      )
    );

  /**
    Make a stdenv derivation PGO-capable with the default options (see
    `enableWith`).

    # Example

    ```nix
    (nix-pgo.enable pkgs.hello).pgo.profile
    ```
  */
  enable = enableWith { };

  /**
    A stdenv adapter: every derivation built with the returned stdenv is the
    instrumented variant (as `pgo.profile` of `enable`).

    # Example

    ```nix
    stdenvProfile = nix-pgo.adapters.withProfileGenerate pkgs.stdenv;
    ```
  */
  withProfileGenerate =
    stdenv: extendMkDerivation stdenv (attrsLib.profileAttrs (settingsFor noOptions stdenv));

  /**
    A stdenv adapter: every derivation built with the returned stdenv is the
    optimized variant for `profile` (as `pgo.optimize profile` of `enable`).

    # Example

    ```nix
    stdenvOptimized = nix-pgo.adapters.withProfileUse ./merged.profdata pkgs.stdenv;
    ```
  */
  withProfileUse =
    profile: stdenv:
    extendMkDerivation stdenv (
      old:
      attrsLib.optimizeAttrs (
        (settingsFor noOptions stdenv) // { profile = profilePath (nameOf old) profile; }
      ) old
    );

  /**
    An overlay that replaces packages by their optimized variants, given a set
    of profiles by attribute name. Packages not yet enabled are enabled.

    # Example

    ```nix
    pkgs.extend (nix-pgo.withProfiles { hello = ./hello.profdata; })
    ```
  */
  withProfiles =
    profiles: final: prev:
    mapAttrs (
      name: profile:
      let
        pkg = prev.${name};
      in
      if pkg ? pgo then pkg.pgo.optimize profile else (enable pkg).pgo.optimize profile
    ) profiles;

  self = {
    inherit enable enableWith withProfiles;

    /**
      The stdenv adapters, named like nixpkgs' `stdenvAdapters` (`withCFlags`,
      ...). `profile` and `optimize` are their old names, kept for one release.

      # Example

      ```nix
      myTool = pkgs.callPackage ./my-tool.nix {
        stdenv = nix-pgo.adapters.withProfileGenerate pkgs.stdenv;
      };
      ```
    */
    adapters = {
      inherit withProfileGenerate withProfileUse;
      profile = deprecated "adapters.profile" "adapters.withProfileGenerate" withProfileGenerate;
      optimize = deprecated "adapters.optimize" "adapters.withProfileUse" withProfileUse;
    };

    /**
      An overlay that adds this library to a package set as `pkgs.nix-pgo`.

      # Example

      ```nix
      import <nixpkgs> { overlays = [ (import ./nix-pgo { }).overlays.default ]; }
      ```
    */
    overlays.default = final: prev: { nix-pgo = self; };

    # The pure building blocks, for wrappers of your own (see their files).
    inherit flags;
    inherit (attrsLib) appendFlags profileAttrs optimizeAttrs;
  };
in
self
