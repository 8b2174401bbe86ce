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

  # The spool is the library's defaultProfileDir: BOLT-instrumented programs, which read no
  # variable, write into its bolt/ (baked in); GCC's baked directories name it too.
  nix-pgo = import ./. { defaultProfileDir = cfg.settings.spoolDir or defaultSpoolDir; };

  user = "nix-pgo";
  group = "nix-pgo";
  stateDir = "/var/lib/nix-pgo";
  nixProfile = "${stateDir}/profile";
  configPath = "/etc/nix-pgo/config.json";
  defaultSpoolDir = "/var/spool/nix-pgo";

  # What the daemon reads: its lock, and how it finds this system.
  lock = import ./nixos/read-lock.nix { inherit (cfg) lockFile; };
  systemFiles = import ./nixos/system-file.nix;
  systemFile = pkgs.writeText "nix-pgo-system.nix" (
    systemFiles.text {
      evaluated = systemFiles.nixos { inherit (cfg) flake; host = cfg.flakeHost; };
      how = if cfg.flake == null then "this NixOS system" else "the NixOS configuration ${cfg.flakeHost} of ${cfg.flake}";
    }
  );

  normalUsers = attrNames (filterAttrs (_: u: u.isNormalUser or false) config.users.users);

  userHook = cfg.settings.notify.hook or null;
  notify = import ./nixos/notify.nix;
  hook = pkgs.writeShellScript "nix-pgo-hook" (
    notify.hookScript {
      jq = "${pkgs.jq}/bin/jq";
      events = if cfg.desktopNotifications then "/run/nix-pgo/events.jsonl" else null;
      forward = userHook;
    }
  );
  useHook = cfg.desktopNotifications || userHook != null;

  rendered = import ./nixos/config.nix {
    names = cfg.packages;
    boltNames = builtins.filter (name: cfg.enableWith.${name}.bolt or false) cfg.packages;
    nixFile = "${systemFile}";
    inherit stateDir nixProfile;
    spoolDir = defaultSpoolDir;
    inherit (cfg) thresholdMB onReady;
    trustedUsers = [ "root" ] ++ normalUsers;
    hook = if useHook then "${hook}" else null;
    settings = removeAttrs cfg.settings [ "notify" ] // optionalAttrs (cfg.settings ? notify) {
      notify = removeAttrs cfg.settings.notify [ "hook" ];
    };
  };
  spoolDir = rendered.spoolDir;

  configFile = pkgs.writeText "nix-pgo-config.json" (builtins.toJSON rendered);
  # As attic's module checks its config: a bad value fails the system build.
  checkedConfig =
    if cfg.checkConfig then
      pkgs.runCommand "nix-pgo-config.json" { } ''
        ${cfg.package}/bin/nix-pgo check-config --sandbox ${configFile}
        cp ${configFile} $out
      ''
    else
      configFile;

  env = import ./nixos/environment.nix { inherit spoolDir; id = "${pkgs.coreutils}/bin/id"; };
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

  overlay = import ./nixos/overlay.nix {
    inherit nix-pgo;
    inherit (cfg) packages;
    lock = lock.entries;
    boltLock = lock.boltEntries;
    options = cfg.enableWith;
    replace = cfg.replaceDependencies;
    lockedProfile = import ./nixos/locked-profile.nix { system = pkgs.stdenv.buildPlatform.system; };
  };

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

  problemMessage = import ./nixos/problems.nix {
    names = attrNames pkgs;
    close = a: b: (lib.strings.levenshteinAtMost or (_: _: _: false)) 2 a b;
  };

  packageName = types.strMatching "[A-Za-z_][A-Za-z0-9_'-]*" // {
    description = "name of a top-level package of pkgs (such as \"sqlite\"; not a path such as python3Packages.numpy)";
  };

  hasNixosConfig = builtins.any (hasPrefix "nixos-config=") config.nix.nixPath;
in
{
  options.services.nix-pgo = {
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
        built with clang or GCC. Each resolves, for the whole system, to its
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
        built, in MB of 1,048,576 bytes (`policy.thresholdMB`).
      '';
    };

    onReady = mkOption {
      type = types.enum [ "switch" "notify" ];
      default = "switch";
      description = ''
        What the daemon does when a package has enough data (`policy.onReady`):
        `"switch"` builds the optimized variant (the derivation the next
        rebuild will use), locks its profile and puts it first on every
        user's PATH; `"notify"` only tells (desktop notification, the hook,
        the journal, `nix-pgo status`), and `nix-pgo build NAME` does the rest.
      '';
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
      example = literalExpression "./pgo-lock.json";
      description = ''
        The lock file that says which profile each optimized package is built
        with. A copy committed with your configuration (`./pgo-lock.json`) is
        pure, and needed with flakes. The default, the daemon's own lock,
        works only without flakes and makes the evaluation impure: every
        rebuild uses the profiles the daemon locked since. `null`: always the
        profiling variants.
      '';
    };

    flake = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "/etc/nixos";
      description = ''
        The flake this system is built from, for the daemon, which builds the
        optimized variants from this system's own `pkgs` so that the next
        `nixos-rebuild` finds them built. `null`: the system
        `nixos-rebuild` finds without flakes (`<nixos-config>` of
        {option}`nix.nixPath`). The daemon evaluates the flake impurely, as
        it is on disk (uncommitted changes included).
      '';
    };

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
      default = (config.services.xserver.enable or false) || (config.services.graphical-desktop.enable or false);
      defaultText = literalExpression "config.services.xserver.enable || config.services.graphical-desktop.enable";
      description = ''
        Whether every graphical session shows the daemon's events (a switch,
        a failed build, a package ready under `onReady = "notify"`) as desktop
        notifications.
      '';
    };

    checkConfig = mkOption {
      type = types.bool;
      default = true;
      description = ''
        Whether the system build runs `nix-pgo check-config` on the rendered
        config, so a bad value fails `nixos-rebuild`. It checks that files
        the config names exist, which in the build sandbox holds only for
        store paths.
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

    finalSettings = mkOption {
      type = types.attrs;
      internal = true;
      readOnly = true;
      description = "The daemon's config file (/etc/nix-pgo/config.json): `settings` merged over what the module sets.";
    };

    settings = mkOption {
      type = types.submodule {
        freeformType =
          let
            json = types.nullOr (types.oneOf [ types.bool types.int types.float types.str types.path (types.attrsOf json) (types.listOf json) ]) // {
              description = "JSON value";
            };
          in
          types.attrsOf json;
      };
      default = { };
      example = literalExpression ''{ policy.minRuns = 10; trustedUsers = [ "root" "alice" "postgres" ]; }'';
      description = ''
        The daemon's config file (docs/config.md), merged over what the
        options above and the module set: a key set here wins. The module
        sets `stateDir`, `spoolDir`, `nixProfile`, `policy.thresholdMB`,
        `policy.onReady`, `trustedUsers` (root and every normal user),
        `notify.hook` (its own, which runs yours after its desktop
        notifications) and `packages.NAME = { nixFile; attr = NAME; }`.
      '';
    };
  };

  config = mkIf cfg.enable (mkMerge [
    {
      assertions =
        mapAttrsToList (name: problem: { assertion = false; message = problemMessage name problem; }) (pkgs.nixPgo.problems or { })
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
            assertion = (rendered.stateDir or null) == stateDir && (rendered.nixProfile or null) == nixProfile;
            message = "services.nix-pgo.settings: stateDir must stay ${stateDir} and nixProfile ${nixProfile} (the service's StateDirectory and the profile on every user's PATH); remove them from settings";
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

      nixpkgs.overlays = mkAfter [ overlay ];

      environment.systemPackages = [ cfg.package ];
      environment.sessionVariables = env.variables // { NIX_PGO_CONFIG = configPath; };
      environment.extraInit = env.shellInit;
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
