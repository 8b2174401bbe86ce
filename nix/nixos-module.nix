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
    concatMap
    concatStringsSep
    attrNames
    elem
    filter
    filterAttrs
    hasPrefix
    literalExpression
    mapAttrsToList
    mkAfter
    mkBefore
    mkIf
    mkMerge
    mkOption
    optional
    optionalAttrs
    types
    ;

  cfg = config.services.nix-pgo;

  user = "nix-pgo";
  group = "nix-pgo";
  stateDir = "/var/lib/nix-pgo";
  configPath = "/etc/nix-pgo/config.json";

  systemFiles = import ./nixos/system-file.nix;
  systemFile = pkgs.writeText "nix-pgo-system.nix" (
    systemFiles.text {
      evaluated = systemFiles.nixos { inherit (cfg) flake; host = cfg.flakeHost; };
      how = if cfg.flake == null then "this NixOS system" else "the NixOS configuration ${cfg.flakeHost} of ${cfg.flake}";
    }
  );

  normalUsers = attrNames (filterAttrs (_: u: u.isNormalUser or false) config.users.users);

  notify = import ./nixos/notify.nix;

  shared = import ./nixos/module-shared.nix {
    inherit config lib pkgs stateDir systemFile;
    spoolDir = "/var/spool/nix-pgo";
    scope = "the whole system";
    hookArgs.events = if cfg.desktopNotifications then "/run/nix-pgo/events.jsonl" else null;
    trustedUsers = [ "root" ] ++ normalUsers;
    settings = removeAttrs cfg.settings [ "notify" ] // optionalAttrs (cfg.settings ? notify) {
      notify = removeAttrs cfg.settings.notify [ "hook" ];
    };
    replace = cfg.replaceDependencies;
    flakeExample = "/etc/nixos";
    flakeNull = "the system `nixos-rebuild` finds without flakes (`<nixos-config>` of {option}`nix.nixPath`)";
    desktopNotificationsDefault = (config.services.xserver.enable or false) || (config.services.graphical-desktop.enable or false);
    desktopNotificationsDefaultText = literalExpression "config.services.xserver.enable || config.services.graphical-desktop.enable";
    desktopNotificationsDescription = ''
      Whether every graphical session shows the daemon's events (a switch,
      a failed build, a package ready under `onReady = "notify"`) as desktop
      notifications.
    '';
  };
  inherit (shared) nixProfile rendered spoolDir checkedConfig env lock;

  spool = import ./nixos/spool.nix { inherit spoolDir user group; };

  prepareSpool = pkgs.writeShellScript "nix-pgo-prepare-spool" (
    spool.prepareScript {
      users = [ "root" ] ++ normalUsers;
      id = "${pkgs.coreutils}/bin/id";
      stat = "${pkgs.coreutils}/bin/stat";
      mkdir = "${pkgs.coreutils}/bin/mkdir";
      chown = "${pkgs.coreutils}/bin/chown";
      rm = "${pkgs.coreutils}/bin/rm";
    }
  );

  # Services whose sandbox makes the spool read-only get it writable
  # (their instrumented programs would print "LLVM Profile Error" otherwise).
  isTrue = v: v == true || v == "yes" || v == "true" || v == "on" || v == "1";
  sandboxed =
    name: service:
    name != "nix-pgo"
    && (
      (service.serviceConfig.ProtectSystem or null) == "strict"
      || isTrue (service.serviceConfig.DynamicUser or false)
    );
  sandboxedServices = attrNames (filterAttrs sandboxed config.systemd.services);
  spoolAccess = pkgs.runCommand "nix-pgo-spool-access" { } (
    concatStringsSep "\n" (
      [ "mkdir -p $out/etc/systemd/system" ]
      ++ map (name: ''
        mkdir -p "$out/etc/systemd/system/${name}.service.d"
        printf '%s\n' '[Service]' 'ReadWritePaths=-${spoolDir}' >"$out/etc/systemd/system/${name}.service.d/nix-pgo-spool.conf"
      '') sandboxedServices
    )
  );

  hasNixosConfig = builtins.any (hasPrefix "nixos-config=") config.nix.nixPath;
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

  config = mkIf cfg.enable (mkMerge [
    {
      assertions =
        shared.assertions
        ++ map (name: {
          assertion = elem name cfg.packages;
          message = ''services.nix-pgo.replaceDependencies: "${name}" is not in services.nix-pgo.packages; add it there too, or remove it here'';
        }) cfg.replaceDependencies
        ++ mapAttrsToList (name: options: {
          assertion = elem name cfg.packages && !(options ? profile) && !(options ? boltProfile);
          message =
            if options ? profile || options ? boltProfile then
              ''services.nix-pgo.enableWith.${name}.${if options ? profile then "profile" else "boltProfile"}: the module selects the profile (from the lock file); remove it''
            else
              ''services.nix-pgo.enableWith.${name}: "${name}" is not in services.nix-pgo.packages; add it there too, or remove it here'';
        }) cfg.enableWith
        ++ [
          {
            assertion = pkgs ? nixPgo;
            message = "services.nix-pgo: the module's overlay is not in pkgs (is nixpkgs.pkgs set? then add the overlays of nixpkgs.overlays to it)";
          }
          {
            assertion = cfg.flake != null || hasNixosConfig;
            message = ''services.nix-pgo: the daemon cannot find this system's configuration: nix.nixPath has no nixos-config= entry. If this system is built from a flake, set services.nix-pgo.flake = "/etc/nixos" (its directory or flake reference); otherwise add "nixos-config=/etc/nixos/configuration.nix" to nix.nixPath'';
          }
          {
            assertion = cfg.flake == null || cfg.flakeHost != "";
            message = "services.nix-pgo.flakeHost: give the name of this system in the flake's nixosConfigurations";
          }
        ];

      warnings = optional (lock.warning != null) lock.warning;

      services.nix-pgo.finalSettings = rendered;

      nixpkgs.overlays = mkAfter [ shared.overlay ];

      environment.systemPackages = [ cfg.package ];
      environment.sessionVariables = env.variables // { NIX_PGO_CONFIG = configPath; };
      environment.profiles = mkBefore [ nixProfile ];
      environment.etc."nix-pgo/config.json".source = checkedConfig;
      environment.etc."nix-pgo/system.nix".source = systemFile;

      systemd.globalEnvironment = env.variables;
      systemd.tmpfiles.settings."10-nix-pgo" = spool.settings;
      systemd.packages = mkIf cfg.sandboxedServices [ spoolAccess ];

      systemd.services.nix-pgo = import ./nixos/unit.nix {
        package = cfg.package;
        configFile = configPath;
        configSource = checkedConfig;
        inherit user group spoolDir;
        nixPath = if cfg.flake == null then config.nix.nixPath else [ ];
        flake = cfg.flake != null;
        path = [ config.nix.package ] ++ optional (cfg.flake != null) pkgs.git;
        unset = env.names;
        preStart = [
          "${config.systemd.package}/bin/systemd-tmpfiles --create --prefix=${spoolDir}"
          "${prepareSpool}"
        ];
        kill = "${pkgs.coreutils}/bin/kill";
      };

      systemd.user.services.nix-pgo-notify = mkIf cfg.desktopNotifications {
        description = "nix-pgo: desktop notifications";
        wantedBy = [ "graphical-session.target" ];
        partOf = [ "graphical-session.target" ];
        after = [ "graphical-session.target" ];
        serviceConfig = {
          ExecStart = "${pkgs.writeShellScript "nix-pgo-notify" (
            notify.relayScript {
              jq = "${pkgs.jq}/bin/jq";
              events = "/run/nix-pgo/events.jsonl";
              notifySend = "${pkgs.libnotify}/bin/notify-send";
              tail = "${pkgs.coreutils}/bin/tail";
            }
          )}";
          Restart = "on-failure";
          RestartSec = "30s";
        };
      };

      users.users.${user} = {
        isSystemUser = true;
        inherit group;
        home = stateDir;
        description = "nix-pgo daemon";
      };
      users.groups.${group} = { };
    }

    (mkIf (cfg.spoolSize != null) {
      fileSystems.${spoolDir} = {
        device = "tmpfs";
        fsType = "tmpfs";
        options = [ "size=${cfg.spoolSize}" "mode=0755" "nosuid" "nodev" "noexec" ];
      };
    })

    (mkIf (cfg.replaceDependencies != [ ]) {
      system.replaceDependencies.replacements = concatMap (
        name:
        let
          old = pkgs.${name};
          new = pkgs.nixPgo.variants.${name};
        in
        map (output: { oldDependency = old.${output}; newDependency = new.${output}; }) (old.outputs or [ "out" ])
      ) (filter (name: pkgs.nixPgo.variants ? ${name} && !(pkgs.nixPgo.problems ? ${name})) cfg.replaceDependencies);
    })
  ]);
}
