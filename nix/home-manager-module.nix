/**
  The nix-pgo home-manager module, for Nix users on any Linux: the same
  options as the NixOS module, for one user.

  ```nix
  { imports = [ /path/to/nix-pgo/nix/home-manager-module.nix ];  # flakes: nix-pgo.homeManagerModules.default
    services.nix-pgo.packages = [ "sqlite" ];
    home.packages = [ pkgs.sqlite ];
  }
  ```

  The daemon runs as a user service with its state, spool and Nix profile
  below $XDG_STATE_HOME/nix-pgo; the profile comes first on PATH in login
  shells, and the variables that send instrumented programs to the spool are
  set for login shells and user services. The overlay (`nixpkgs.overlays`)
  substitutes the variants in this home-manager configuration's own pkgs,
  which needs home-manager to make that pkgs (not `useGlobalPkgs`: use the
  NixOS module there). See docs/nixos.md.
*/
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib)
    attrNames
    elem
    literalExpression
    mapAttrsToList
    mkIf
    mkOption
    optional
    optionalAttrs
    types
    ;

  cfg = config.services.nix-pgo;

  # The spool is the library's defaultProfileDir: BOLT-instrumented programs, which read no
  # variable, write into its bolt/ (baked in); GCC's baked directories name it too.
  nix-pgo = import ./. { defaultProfileDir = cfg.settings.spoolDir or "${stateDir}/spool"; };

  stateDir = "${config.xdg.stateHome}/nix-pgo";
  nixProfile = "${stateDir}/profile";
  configPath = "${config.xdg.configHome}/nix-pgo/config.json";

  lock = import ./nixos/read-lock.nix { inherit (cfg) lockFile; };
  systemFiles = import ./nixos/system-file.nix;
  systemFile = pkgs.writeText "nix-pgo-home-manager.nix" (
    systemFiles.text {
      evaluated = systemFiles.homeManager {
        inherit (cfg) flake configuration;
        user = cfg.flakeUser;
      };
      how =
        if cfg.flake == null then
          "the home-manager configuration ${toString cfg.configuration}"
        else
          "the home-manager configuration ${cfg.flakeUser} of ${cfg.flake}";
    }
  );

  userHook = cfg.settings.notify.hook or null;
  notify = import ./nixos/notify.nix;
  hook = pkgs.writeShellScript "nix-pgo-hook" (
    notify.hookScript {
      jq = "${pkgs.jq}/bin/jq";
      notifySend = if cfg.desktopNotifications then "${pkgs.libnotify}/bin/notify-send" else null;
      forward = userHook;
      rebuild = "the next home-manager switch";
    }
  );
  useHook = cfg.desktopNotifications || userHook != null;

  rendered = import ./nixos/config.nix {
    names = cfg.packages;
    boltNames = builtins.filter (name: cfg.enableWith.${name}.bolt or false) cfg.packages;
    nixFile = "${systemFile}";
    inherit stateDir nixProfile;
    spoolDir = "${stateDir}/spool";
    inherit (cfg) thresholdMB onReady;
    hook = if useHook then "${hook}" else null;
    # The hook shows the desktop notifications (desktopNotifications), so the daemon's own stay off.
    settings = removeAttrs cfg.settings [ "notify" ] // {
      notify = { desktop = false; } // removeAttrs (cfg.settings.notify or { }) [ "hook" ];
    };
  };
  spoolDir = rendered.spoolDir;

  configFile = pkgs.writeText "nix-pgo-config.json" (builtins.toJSON rendered);
  checkedConfig =
    if cfg.checkConfig then
      pkgs.runCommand "nix-pgo-config.json" { } ''
        ${cfg.package}/bin/nix-pgo check-config --sandbox ${configFile}
        cp ${configFile} $out
      ''
    else
      configFile;

  env = import ./nixos/environment.nix { inherit spoolDir; id = "${pkgs.coreutils}/bin/id"; };

  overlay = import ./nixos/overlay.nix {
    inherit nix-pgo;
    inherit (cfg) packages;
    lock = lock.entries;
    boltLock = lock.boltEntries;
    options = cfg.enableWith;
    lockedProfile = import ./nixos/locked-profile.nix { system = pkgs.stdenv.buildPlatform.system; };
  };

  problemMessage = import ./nixos/problems.nix {
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
  options.services.nix-pgo = {
    enable = mkOption {
      type = types.bool;
      default = cfg.packages != [ ];
      defaultText = literalExpression "config.services.nix-pgo.packages != [ ]";
      description = "Whether to run nix-pgo for this user; on as soon as {option}`services.nix-pgo.packages` names a package.";
    };

    packages = mkOption {
      type = types.listOf packageName;
      default = [ ];
      example = [ "sqlite" ];
      description = ''
        The packages to optimize: top-level attribute names of `pkgs`, each
        built with clang or GCC. In this configuration each resolves to its
        profiling variant until a profile for it is locked, then to its
        optimized variant.
      '';
    };

    thresholdMB = mkOption {
      type = types.numbers.positive;
      default = 1;
      description = "Profile data to collect per package before its optimized variant is built, in MB (`policy.thresholdMB`).";
    };

    onReady = mkOption {
      type = types.enum [ "switch" "notify" ];
      default = "switch";
      description = ''`"switch"`: build the optimized variant and put it first on PATH; `"notify"`: only tell (`policy.onReady`).'';
    };

    package = mkOption {
      type = types.package;
      default = pkgs.callPackage ../package.nix { };
      defaultText = literalExpression "pkgs.callPackage <nix-pgo/package.nix> { } (the flake: packages.\${system}.default)";
      description = "The nix-pgo package: the daemon and the `nix-pgo` command.";
    };

    lockFile = mkOption {
      type = types.nullOr types.path;
      default = "${stateDir}/pgo-lock.json";
      defaultText = literalExpression ''"''${config.xdg.stateHome}/nix-pgo/pgo-lock.json"'';
      example = literalExpression "./pgo-lock.json";
      description = ''
        The lock file that says which profile each optimized package is built
        with: a copy committed with this configuration (pure, needed with
        flakes), or the daemon's own (impure, without flakes only).
      '';
    };

    flake = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "/home/alice/config";
      description = ''
        The flake this configuration is built from (its homeConfigurations),
        which the daemon evaluates to build what the next `home-manager switch`
        will use. `null`: {option}`services.nix-pgo.configuration`.
      '';
    };

    flakeUser = mkOption {
      type = types.str;
      default = config.home.username;
      defaultText = literalExpression "config.home.username";
      description = "The name of this configuration in the flake's `homeConfigurations`.";
    };

    configuration = mkOption {
      type = types.str;
      default = "${config.xdg.configHome}/home-manager/home.nix";
      defaultText = literalExpression ''"''${config.xdg.configHome}/home-manager/home.nix"'';
      description = "Without flakes: the home-manager configuration file the daemon evaluates (with `<home-manager>` and `<nixpkgs>` of your channels).";
    };

    enableWith = mkOption {
      type = types.attrsOf (types.attrsOf types.anything);
      default = { };
      description = "Options of the library's `enableWith` per package (docs/nix-library.md).";
    };

    desktopNotifications = mkOption {
      type = types.bool;
      default = true;
      description = "Whether the daemon shows its events as desktop notifications when the session bus exists.";
    };

    checkConfig = mkOption {
      type = types.bool;
      default = true;
      description = "Whether building the configuration runs `nix-pgo check-config` on the rendered config.";
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
      description = ''
        The daemon's config file (docs/config.md), merged over what the module
        sets (`stateDir`, `spoolDir`, `nixProfile`, the policy of the options
        above, `notify.hook`, `packages`): a key set here wins.
      '';
    };
  };

  config = mkIf cfg.enable {
    assertions =
      mapAttrsToList (name: problem: { assertion = false; message = problemMessage name problem; }) (pkgs.nixPgo.problems or { })
      ++ mapAttrsToList (name: options: {
        assertion = elem name cfg.packages && !(options ? profile);
        message = ''services.nix-pgo.enableWith.${name}: name a package of services.nix-pgo.packages, and leave out profile (the module selects it)'';
      }) cfg.enableWith
      ++ [
        {
          assertion = pkgs ? nixPgo;
          message = "services.nix-pgo: the nix-pgo overlay is not in pkgs (home-manager.useGlobalPkgs?); with useGlobalPkgs use the NixOS module instead";
        }
        {
          assertion = (rendered.stateDir or null) == stateDir && (rendered.nixProfile or null) == nixProfile;
          message = "services.nix-pgo.settings: stateDir must stay ${stateDir} and nixProfile ${nixProfile}; remove them from settings";
        }
      ];

    warnings = optional (lock.warning != null) lock.warning;

    services.nix-pgo.finalSettings = rendered;

    nixpkgs.overlays = [ overlay ];

    home.packages = [ cfg.package ];
    home.sessionVariables = env.variables // { NIX_PGO_CONFIG = configPath; };
    # home.sessionPath appends; the profile must come first.
    home.sessionVariablesExtra = ''
      export PATH="${nixProfile}/bin''${PATH:+:}$PATH"
    '' + env.shellInit;
    systemd.user.sessionVariables = env.variables;

    xdg.configFile."nix-pgo/config.json".source = checkedConfig;
    xdg.configFile."nix-pgo/system.nix".source = systemFile;

    systemd.user.services.nix-pgo = {
      Unit = {
        Description = "nix-pgo: collects profiles, builds and switches to optimized variants";
        X-Reload-Triggers = [ "${checkedConfig}" ];
      };
      Service = {
        ExecStart = "${cfg.package}/bin/nix-pgo daemon --config ${configPath}";
        ExecReload = "${pkgs.coreutils}/bin/kill -HUP $MAINPID";
        Restart = "on-failure";
        RestartSec = "10s";
        Nice = 10;
        UnsetEnvironment = env.names;
        Environment =
          if cfg.flake == null then
            [ "NIX_PATH=%h/.nix-defexpr/channels" ]
          else
            [ "NIX_CONFIG=experimental-features = nix-command flakes" ];
      };
      Install.WantedBy = [ "default.target" ];
    };
  };
}
