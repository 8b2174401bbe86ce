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
  # Option declarations that differ: lockFile's default and its words, flake's and desktopNotifications'.
  lockFileDefault ? "${stateDir}/pgo-lock.json",
  lockFileDefaultWords ? "the daemon's own lock",
  lockFileDefaultText ? null,
  flakeExample,
  flakeNull,
  flakeDescription ? null,
  desktopNotificationsDefault,
  desktopNotificationsDefaultText ? null,
  desktopNotificationsDescription,
}:
let
  inherit (lib)
    literalExpression
    mkOption
    optionalAttrs
    types
    ;

  cfg = config.services.nix-pgo;

  values = import ./shared-config.nix {
    inherit cfg pkgs stateDir spoolDir systemFile hookArgs trustedUsers settings replace;
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
values
// {
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
      default = lockFileDefault;
      example = literalExpression "./pgo-lock.json";
      description = ''
        The lock file that says which profile each optimized package is built
        with. A copy committed with your configuration (`./pgo-lock.json`) is
        pure, and needed with flakes. The default, ${lockFileDefaultWords},
        works only without flakes and makes the evaluation impure: every
        rebuild uses the profiles the daemon locked since. `null`: always the
        profiling variants.
      '';
    }
    // optionalAttrs (lockFileDefaultText != null) { defaultText = lockFileDefaultText; };

    flake = mkOption {
      # A flake given as itself (`self`) is evaluated from its store copy.
      type = types.nullOr (
        types.either types.str (
          types.addCheck types.attrs (v: v ? outPath) // { description = "flake (its outputs, such as self)"; }
        )
      );
      default = null;
      example = flakeExample;
      description =
        if flakeDescription != null then
          flakeDescription
        else
          ''
            The flake this configuration is built from, for the daemon, which
            builds the optimized variants from its own `pkgs` so that the next
            rebuild finds them built. `null`: ${flakeNull}. A string is
            evaluated impurely, as it is on disk (uncommitted changes
            included); the flake itself (`self`) from its store copy.
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
