/**
  What the NixOS and the home-manager module share: the options both
  declare, and the daemon's config file, its check, the hook, the overlay
  and the assertions about them. Each module passes where things live on
  its platform and keeps its own options and settings.

  # Example

  ```nix
  shared = import ./nixos/module-shared.nix {
    inherit config lib pkgs;
    stateDir = "/var/lib/nix-pgo";
    spoolDir = "/var/spool/nix-pgo";
    # …
  };
  in { options.services.nix-pgo = shared.options // { … }; config = … shared.rendered …; }
  ```
*/
{
  config,
  lib,
  pkgs,
  # The daemon's state directory and Nix profile, and the spool unless settings name another.
  stateDir,
  spoolDir,
  # The file that evaluates this configuration for the daemon (system-file.nix).
  systemFile,
  # Where the package's variants take effect: "the whole system", "this configuration".
  scope,
  # The hook's arguments of this platform (notify.nix hookScript).
  hookArgs,
  # Whose profile data counts, or null for the daemon's default.
  trustedUsers ? null,
  # The user's settings as this platform renders them (after notify.hook is taken out).
  settings,
  # Names substituted through system.replaceDependencies instead of the overlay (NixOS).
  replace ? [ ],
  # Option declarations that differ: lockFile's defaultText, flake's and desktopNotifications'.
  lockFileDefaultText ? null,
  flakeExample,
  flakeNull,
  desktopNotificationsDefault,
  desktopNotificationsDefaultText ? null,
  desktopNotificationsDescription,
}:
let
  inherit (lib)
    attrNames
    literalExpression
    mapAttrsToList
    mkOption
    optionalAttrs
    types
    ;

  cfg = config.services.nix-pgo;
  nixProfile = "${stateDir}/profile";

  # The spool is the library's defaultProfileDir: the spool programs use when NIX_PGO_SPOOL is
  # unset (a service that clears its environment); GCC's baked directories name it too.
  nix-pgo = import ../. { defaultProfileDir = cfg.settings.spoolDir or spoolDir; };

  lock = import ./read-lock.nix { inherit (cfg) lockFile; };

  userHook = cfg.settings.notify.hook or null;
  hook = pkgs.writeShellScript "nix-pgo-hook" (
    (import ./notify.nix).hookScript (
      { jq = "${pkgs.jq}/bin/jq"; forward = userHook; } // hookArgs
    )
  );
  useHook = cfg.desktopNotifications || userHook != null;

  rendered = import ./config.nix {
    names = cfg.packages;
    boltNames = builtins.filter (name: cfg.enableWith.${name}.bolt or false) cfg.packages;
    nixFile = "${systemFile}";
    inherit stateDir nixProfile spoolDir trustedUsers settings;
    inherit (cfg) thresholdMB onReady;
    hook = if useHook then "${hook}" else null;
  };

  configFile = pkgs.writeText "nix-pgo-config.json" (builtins.toJSON rendered);

  problemMessage = import ./problems.nix {
    names = attrNames pkgs;
    close = a: b: (lib.strings.levenshteinAtMost or (_: _: _: false)) 2 a b;
  };

  packageName = types.strMatching "[A-Za-z_][A-Za-z0-9_'-]*" // {
    description = "name of a top-level package of pkgs (such as \"sqlite\"; not a path such as python3Packages.numpy)";
  };

  json =
    types.nullOr (types.oneOf [ types.bool types.int types.float types.str types.path (types.attrsOf json) (types.listOf json) ]) // {
      description = "JSON value";
    };
in
{
  inherit nixProfile lock rendered;
  spoolDir = rendered.spoolDir;

  # As attic's module checks its config: a bad value fails the build of the configuration.
  checkedConfig =
    if cfg.checkConfig then
      pkgs.runCommand "nix-pgo-config.json" { } ''
        ${cfg.package}/bin/nix-pgo check-config --sandbox ${configFile}
        cp ${configFile} $out
      ''
    else
      configFile;

  env = import ./environment.nix { inherit (rendered) spoolDir; };

  overlay = import ./overlay.nix {
    inherit nix-pgo replace;
    inherit (cfg) packages;
    lock = lock.entries;
    boltLock = lock.boltEntries;
    options = cfg.enableWith;
    lockedProfile = import ./locked-profile.nix { system = pkgs.stdenv.buildPlatform.system; };
  };

  /** The assertions both modules make: a name pkgs cannot manage, settings that move the state. */
  assertions =
    mapAttrsToList (name: problem: { assertion = false; message = problemMessage name problem; }) (pkgs.nixPgo.problems or { })
    ++ [
      {
        assertion = (rendered.stateDir or null) == stateDir && (rendered.nixProfile or null) == nixProfile;
        message = "services.nix-pgo.settings: stateDir must stay ${stateDir} and nixProfile ${nixProfile} (the daemon's state and the profile first on PATH); remove them from settings";
      }
    ];

  options = {
    enable = mkOption {
      type = types.bool;
      default = cfg.packages != [ ];
      defaultText = literalExpression "config.services.nix-pgo.packages != [ ]";
      description = ''
        Whether to run nix-pgo: the named packages resolve to their profiling
        variants, then to their optimized ones. On as soon as
        {option}`services.nix-pgo.packages` names a package.
      '';
    };

    packages = mkOption {
      type = types.listOf packageName;
      default = [ ];
      example = [ "emacs" "sqlite" ];
      description = ''
        The packages to optimize: top-level attribute names of `pkgs`, each
        built with clang or GCC. Each resolves, for ${scope}, to its
        profiling variant until a profile for it is locked, then to its
        optimized variant (same name, version and outputs).
      '';
    };

    thresholdMB = mkOption {
      type = types.numbers.positive;
      default = 1;
      example = 5;
      description = ''
        Profile data to collect per package before its optimized variant is
        built (`policy.thresholdMB`): N is read as N × 10^9 counts, the sum of
        every counter merged; `settings.policy.thresholdCounts` gives the
        counts themselves and wins.
      '';
    };

    onReady = mkOption {
      type = types.enum [ "switch" "notify" ];
      default = "switch";
      description = ''
        What the daemon does when a package has enough data (`policy.onReady`):
        `"switch"` builds the optimized variant (the derivation the next
        rebuild will use), locks its profile and puts it first on PATH;
        `"notify"` only tells (desktop notification, the hook, the log,
        `nix-pgo status`), and `nix-pgo build NAME` does the rest.
      '';
    };

    package = mkOption {
      type = types.package;
      default = pkgs.callPackage ../../package.nix { };
      defaultText = literalExpression "pkgs.callPackage <nix-pgo/package.nix> { } (the flake: packages.\${system}.default)";
      description = "The nix-pgo package: the daemon and the `nix-pgo` command.";
    };

    lockFile = mkOption {
      type = types.nullOr types.path;
      default = "${stateDir}/pgo-lock.json";
      example = literalExpression "./pgo-lock.json";
      description = ''
        The lock file that says which profile each optimized package is built
        with. A copy committed with your configuration (`./pgo-lock.json`) is
        pure, and needed with flakes. The default, the daemon's own lock,
        works only without flakes and makes the evaluation impure: every
        rebuild uses the profiles the daemon locked since. `null`: always the
        profiling variants.
      '';
    }
    // optionalAttrs (lockFileDefaultText != null) { defaultText = lockFileDefaultText; };

    flake = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = flakeExample;
      description = ''
        The flake this configuration is built from, for the daemon, which
        builds the optimized variants from its own `pkgs` so that the next
        rebuild finds them built. `null`: ${flakeNull}. The daemon evaluates
        the flake impurely, as it is on disk (uncommitted changes included).
      '';
    };

    enableWith = mkOption {
      type = types.attrsOf (types.attrsOf types.anything);
      default = { };
      example = literalExpression ''{ postgresql.collection = "continuous"; }'';
      description = ''
        Options of the library's `enableWith` per package (see
        docs/nix-library.md), e.g. `collection = "continuous"` for a service
        that runs for days. `profile` is the module's.
      '';
    };

    desktopNotifications = mkOption {
      type = types.bool;
      default = desktopNotificationsDefault;
      description = desktopNotificationsDescription;
    }
    // optionalAttrs (desktopNotificationsDefaultText != null) { defaultText = desktopNotificationsDefaultText; };

    checkConfig = mkOption {
      type = types.bool;
      default = true;
      description = ''
        Whether building the configuration runs `nix-pgo check-config` on the
        rendered config, so a bad value fails the rebuild. It checks that
        files the config names exist, which in the build sandbox holds only
        for store paths.
      '';
    };

    finalSettings = mkOption {
      type = types.attrs;
      internal = true;
      readOnly = true;
      description = "The daemon's config file: `settings` merged over what the module sets.";
    };

    settings = mkOption {
      type = types.submodule { freeformType = types.attrsOf json; };
      default = { };
      example = literalExpression ''{ policy.minRuns = 10; trustedUsers = [ "root" "alice" "postgres" ]; }'';
      description = ''
        The daemon's config file (docs/config.md), merged over what the
        options above and the module set: a key set here wins. The module
        sets `stateDir`, `spoolDir`, `nixProfile`, `policy.thresholdMB`,
        `policy.onReady`, `notify.hook` (its own, which runs yours after its
        desktop notifications), `packages.NAME = { nixFile; attr = NAME; }`,
        and on NixOS `trustedUsers` (root and every normal user).
      '';
    };
  };
}
