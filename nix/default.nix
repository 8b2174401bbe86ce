# nix-pgo: profile-guided optimization for any stdenv derivation.
#
# Entry point of the library. Needs nothing but builtins, so it works with
# nixpkgs and with any package set that follows the stdenv interface.
{
  # Where instrumented binaries write profiles when LLVM_PROFILE_FILE (clang) or
  # GCOV_PREFIX (GCC) is unset. Never the current directory.
  defaultProfileDir ? "/tmp/nix-pgo",
}:
let
  inherit (builtins) isAttrs isPath isString mapAttrs pathExists substring stringLength storeDir;

  attrsLib = import ./attrs.nix;
  toolchainLib = import ./toolchain.nix;
  flags = import ./flags.nix;

  nameOf = attrs: attrs.pname or attrs.name or "package";

  hasPrefix = prefix: s: substring 0 (stringLength prefix) s == prefix;

  # Turn what the user gave as a profile into a string with store context, or
  # fail naming the package and the path.
  profilePath =
    pkgName: profile:
    if profile == null then
      throw "nix-pgo: no profile was given for ${pkgName}"
    else if isAttrs profile then
      "${profile}"
    else if isPath profile then
      if pathExists profile then "${profile}"
      else throw "nix-pgo: the profile for ${pkgName} does not exist: ${toString profile}"
    else if isString profile && hasPrefix "${storeDir}/" profile then
      if pathExists profile then "${builtins.storePath profile}"
      else throw "nix-pgo: the profile for ${pkgName} is not in the Nix store: ${profile}"
    else if isString profile && hasPrefix "/" profile then
      if pathExists profile then "${/. + profile}"
      else throw "nix-pgo: the profile for ${pkgName} does not exist: ${profile}"
    else
      throw "nix-pgo: the profile for ${pkgName} must be a path, an absolute path string or a derivation, not ${builtins.typeOf profile}";

  # Everything the attribute functions need about a stdenv, with overrides.
  settingsFor =
    options: stdenv:
    let
      toolchain = options.toolchain or (toolchainLib.detectToolchain stdenv);
    in
    {
      inherit toolchain;
      mergeTool = options.mergeTool or (toolchainLib.mergeToolFor toolchain stdenv);
      compilerVersion = options.compilerVersion or (toolchainLib.compilerVersionOf stdenv);
      defaultProfileDir = options.defaultProfileDir or defaultProfileDir;
    };

  # Wrap a stdenv's mkDerivation so every derivation gets `f` applied through
  # overrideAttrs. nixpkgs keeps its helper for this private, so it is re-made
  # here on top of the public `stdenv.override` / `mkDerivationFromStdenv`.
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
in
rec {
  inherit flags;
  inherit (attrsLib) appendFlags profileAttrs optimizeAttrs;
  inherit (toolchainLib) detectToolchain mergeToolFor;

  /**
    Make a stdenv derivation PGO-capable, with options.

    Options (all optional): `profile` (the merged profile that `pgo.optimized`
    uses), `toolchain` ("clang" or "gcc", detected from stdenv.cc), `mergeTool`,
    `compilerVersion`, `defaultProfileDir`.

    The result is the same derivation plus `pgo`:
      pgo.profile           the instrumented build
      pgo.optimize PROFILE  the optimized build for a merged profile (a .profdata
                            file for clang, a gcda directory for GCC)
      pgo.optimized         pgo.optimize of the `profile` option
      pgo.toolchain, pgo.mergeTool

    Example:
      hello' = nix-pgo.enableWith { profile = ./hello.profdata; } pkgs.hello;
      # nix-build -A hello'.pgo.profile ; nix-build -A hello'.pgo.optimized
  */
  enableWith =
    options: drv:
    drv.overrideAttrs (
      finalAttrs: old:
      let
        settings = settingsFor options (finalAttrs.stdenv or old.stdenv or drv.stdenv);
        self = finalAttrs.finalPackage;
        pkgName = nameOf old;
        optimize =
          profile:
          self.overrideAttrs (
            attrsLib.optimizeAttrs (settings // { profile = profilePath pkgName profile; })
          );
      in
      {
        passthru = (old.passthru or { }) // {
          pgo = {
            inherit (settings) toolchain mergeTool;
            profile = self.overrideAttrs (attrsLib.profileAttrs settings);
            inherit optimize;
            optimized =
              if (options.profile or null) == null then
                throw "nix-pgo: no profile was selected for ${pkgName}; give one to pgo.optimize, or select one (e.g. --arg pgoProfiles '{ ${pkgName} = ./${pkgName}.profdata; }')"
              else
                optimize options.profile;
          };
        };
      }
    );

  /**
    Make a stdenv derivation PGO-capable (see enableWith).

    Example:
      (nix-pgo.enable pkgs.hello).pgo.profile
  */
  enable = enableWith { };

  /**
    stdenv adapters: every derivation built with the returned stdenv is the
    instrumented (or optimized) variant.

    Example:
      stdenvProfile = nix-pgo.adapters.profile pkgs.stdenv;
      stdenvOptimized = nix-pgo.adapters.optimize ./merged.profdata pkgs.stdenv;
  */
  adapters = {
    profile =
      stdenv: extendMkDerivation stdenv (attrsLib.profileAttrs (settingsFor { } stdenv));

    optimize =
      profile: stdenv:
      extendMkDerivation stdenv (
        old: attrsLib.optimizeAttrs ((settingsFor { } stdenv) // { profile = profilePath (nameOf old) profile; }) old
      );
  };

  /**
    Overlay that replaces packages by their optimized variants, given a set of
    profiles by attribute name. Packages not yet enabled are enabled.

    Example:
      pkgs.extend (nix-pgo.withProfiles { hello = ./hello.profdata; })
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

  /**
    Overlay that adds this library to a package set as `pkgs.nix-pgo`.

    Example:
      import <nixpkgs> { overlays = [ (import ./nix-pgo).overlays.default ]; }
  */
  overlays.default = final: prev: { nix-pgo = lib; };

  lib = import ./default.nix { inherit defaultProfileDir; };
}
