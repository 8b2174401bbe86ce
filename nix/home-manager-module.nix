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
  below $XDG_STATE_HOME/nix-pgo (the spool laid out as on NixOS, created by
  the daemon); the profile comes first on PATH in login shells, and
  NIX_PGO_SPOOL, which sends instrumented programs to the spool, is set for
  login shells and user services. The overlay (`nixpkgs.overlays`)
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
    elem
    literalExpression
    mapAttrsToList
    mkIf
    mkOption
    optional
    types
    ;

  cfg = config.services.nix-pgo;

  stateDir = "${config.xdg.stateHome}/nix-pgo";
  configPath = "${config.xdg.configHome}/nix-pgo/config.json";

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

  shared = import ./nixos/module-shared.nix {
    inherit config lib pkgs stateDir systemFile;
    spoolDir = "${stateDir}/spool";
    scope = "this configuration";
    hookArgs = {
      notifySend = if cfg.desktopNotifications then "${pkgs.libnotify}/bin/notify-send" else null;
      rebuild = "the next home-manager switch";
    };
    # The hook shows the desktop notifications (desktopNotifications), so the daemon's own stay off.
    settings = removeAttrs cfg.settings [ "notify" ] // {
      notify = { desktop = false; } // removeAttrs (cfg.settings.notify or { }) [ "hook" ];
    };
    lockFileDefaultText = literalExpression ''"''${config.xdg.stateHome}/nix-pgo/pgo-lock.json"'';
    flakeExample = "/home/alice/config";
    flakeNull = "{option}`services.nix-pgo.configuration`";
    desktopNotificationsDefault = true;
    desktopNotificationsDescription = "Whether the daemon shows its events as desktop notifications when the session bus exists.";
  };
  inherit (shared) nixProfile checkedConfig env lock;
in
{
  options.services.nix-pgo = shared.options // {
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
  };

  config = mkIf cfg.enable {
    assertions =
      shared.assertions
      ++ mapAttrsToList (name: options: {
        assertion = elem name cfg.packages && !(options ? profile);
        message = ''services.nix-pgo.enableWith.${name}: name a package of services.nix-pgo.packages, and leave out profile (the module selects it)'';
      }) cfg.enableWith
      ++ [
        {
          assertion = pkgs ? nixPgo;
          message = "services.nix-pgo: the nix-pgo overlay is not in pkgs (home-manager.useGlobalPkgs?); with useGlobalPkgs use the NixOS module instead";
        }
      ];

    warnings = optional (lock.warning != null) lock.warning;

    services.nix-pgo.finalSettings = shared.rendered;

    nixpkgs.overlays = [ shared.overlay ];

    home.packages = [ cfg.package ];
    home.sessionVariables = env.variables // { NIX_PGO_CONFIG = configPath; };
    # home.sessionPath appends; the profile must come first.
    home.sessionVariablesExtra = ''
      export PATH="${nixProfile}/bin''${PATH:+:}$PATH"
    '';
    systemd.user.sessionVariables = env.variables;

    xdg.configFile."nix-pgo/config.json".source = checkedConfig;
    xdg.configFile."nix-pgo/system.nix".source = systemFile;

    systemd.user.services.nix-pgo = import ./nixos/home-manager-unit.nix {
      package = cfg.package;
      configFile = configPath;
      configSource = checkedConfig;
      unset = env.names;
      flake = cfg.flake != null;
      kill = "${pkgs.coreutils}/bin/kill";
    };
  };
}
