/**
  The nix-pgo NixOS module: one option, and the machine goes from profiling
  builds to optimized ones.

  ```nix
  { imports = [ /path/to/nix-pgo/nix/nixos-module.nix ];   # flakes: nix-pgo.nixosModules.default
    services.nix-pgo.packages = [ "sqlite" "emacs" ];
  }
  ```

  The module is thin: what it sets comes from the plain functions in
  ./nixos/ (the overlay, the rendered config, the environment, the spool's
  tmpfiles rules, the unit), which nix/tests/nixos.nix tests on their own.
  See docs/nixos.md.
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
    filterAttrs
    literalExpression
    mkAfter
    mkBefore
    mkIf
    mkMerge
    mkOption
    optionalAttrs
    types
    ;

  cfg = config.services.nix-pgo;

  # Only the options: what they set comes from machine.nix.
  shared = import ./nixos/module-shared.nix {
    inherit config lib pkgs;
    stateDir = "/var/lib/nix-pgo";
    spoolDir = "/var/spool/nix-pgo";
    systemFile = null;
    scope = "the whole system";
    lockFileDefault = "/var/lib/nix-pgo-system/pgo-lock.json";
    lockFileDefaultWords = "the lock of what root activated (its check of the daemon's lock)";
    hookArgs = { };
    settings = { };
    flakeExample = literalExpression "self";
    flakeNull = "the system `nixos-rebuild` finds without flakes (`<nixos-config>` of {option}`nix.nixPath`)";
    flakeDescription = ''
      The flake this system is built from, for the daemon and for root's
      activation, which build the optimized variants from its own `pkgs`
      so that the next rebuild finds them built. Give the flake itself
      (`self` in its outputs): both then evaluate its store copy, which
      every user may read, exactly the source this system was built from.
      A string (`"/etc/nixos"`) is a flake reference evaluated as it is on
      disk; Nix 2.20 and later refuse a git repository owned by another
      user, so the daemon's user cannot evaluate a root-owned `/etc/nixos`.
    '';
    desktopNotificationsDefault = (config.services.xserver.enable or false) || (config.services.graphical-desktop.enable or false);
    desktopNotificationsDefaultText = literalExpression "config.services.xserver.enable || config.services.graphical-desktop.enable";
    desktopNotificationsDescription = ''
      Whether every graphical session shows the daemon's events (a switch,
      a failed build, a package ready under `onReady = "notify"`) as desktop
      notifications.
    '';
  };

  machine = import ./nixos/machine.nix {
    inherit cfg pkgs;
    normalUsers = attrNames (filterAttrs (_: u: u.isNormalUser or false) config.users.users);
    inherit (config.nix) nixPath;
    services = config.systemd.services;
    systemdPackage = config.systemd.package;
    nixPackage = config.nix.package;
    close = a: b: (lib.strings.levenshteinAtMost or (_: _: _: false)) 2 a b;
  };

  on = cfg.enable && cfg.packages != [ ];
  fleet = import ./nixos/fleet.nix { inherit lib; };
in
{
  options.services.nix-pgo = shared.options // {
    flakeHost = mkOption {
      type = types.str;
      default = config.networking.hostName;
      defaultText = literalExpression "config.networking.hostName";
      description = "The name of this system in the flake's `nixosConfigurations`.";
    };

    replaceDependencies = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "sqlite" "zlib" ];
      description = ''
        Packages of {option}`services.nix-pgo.packages` (libraries with many
        dependents) whose variants replace them in the system's closure
        through {option}`system.replaceDependencies.replacements` instead of
        the overlay, so that no dependent is rebuilt. The variants keep the
        package's name, so the store paths have the same length.
      '';
    };

    spoolSize = mkOption {
      type = types.nullOr types.str;
      default = "25%";
      example = "4G";
      description = ''
        Size of the tmpfs that holds the spool (`size=` of tmpfs: bytes with
        K, M, G, or a percentage of RAM), which bounds what instrumented
        programs can write. Raise it for programs whose profile is large.
        `null` keeps the spool on the file system of /var, where only the
        daemon's harvesting bounds it.
      '';
    };

    fleet = fleet.option;

    sandboxedServices = mkOption {
      type = types.bool;
      default = true;
      description = ''
        Whether system services whose sandbox makes the spool read-only
        (`ProtectSystem = "strict"`, `DynamicUser`) get it writable (a
        drop-in with `ReadWritePaths`), so their instrumented programs can
        write their profiles.
      '';
    };
  };

  config = mkMerge [
    (mkIf (cfg.enable && cfg.packages == [ ]) {
      inherit (machine.whenIdle) warnings;
    })

    # Each option machine.nix sets, by name: the module system must see which
    # options this module defines before it evaluates any value.
    (mkIf on {
      inherit (machine) assertions warnings fileSystems;
      services.nix-pgo.finalSettings = machine.services.nix-pgo.finalSettings;
      nixpkgs.overlays = mkAfter machine.nixpkgs.overlays;
      environment = {
        inherit (machine.environment) systemPackages sessionVariables etc;
        profiles = mkBefore machine.environment.profiles;
      };
      systemd = {
        inherit (machine.systemd) globalEnvironment tmpfiles packages services paths;
        user.services = machine.systemd.user.services;
      };
      users = {
        inherit (machine.users) users groups;
      };
      system.replaceDependencies.replacements = machine.system.replaceDependencies.replacements;
    })

    (mkIf (on && cfg.fleet != null) { nix.settings = machine.nix.settings; })
  ];
}
