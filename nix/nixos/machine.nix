/**
  Everything the NixOS module sets, as plain values (no nixpkgs' lib): the
  module (../nixos-module.nix) declares the options and merges this into
  the system with mkIf / mkBefore / mkAfter, and the host test
  (test/host/nixos-machine.int.test.ts, through nix/tests/nixos-host.nix)
  composes the same values the same way where there is no nixpkgs' lib.

  The attribute paths are the NixOS options they define; the top-level
  keys never depend on a value (the module system must see which options a
  module defines without evaluating them).

  Who runs what (docs/nixos.md):

  - `nix-pgo.service`, as the user nix-pgo: harvests, merges, stores
    profiles, builds variants from the system's Nix file, keeps its own Nix
    profile, and proposes (its lock file, its active-variants file).
  - `nix-pgo-activate.service`, as root (no capabilities), started by
    `nix-pgo-activate.path` when the proposal changes: checks it, builds
    root's own evaluation of it, and switches the system profile
    /var/lib/nix-pgo-system/profile, the one on every user's PATH, and the
    checked lock the next rebuild reads.

  # Example

  ```nix
  import ./machine.nix {
    cfg = config.services.nix-pgo;
    inherit pkgs;
    normalUsers = [ "alice" ];
    nixPath = config.nix.nixPath;
    services = config.systemd.services;
    systemdPackage = config.systemd.package;
    nixPackage = config.nix.package;
  }
  => { assertions = [ … ]; environment = { … }; systemd = { services.nix-pgo = { … }; … }; users = { … }; … }
  ```
*/
{
  # The values of the services.nix-pgo options, defaults applied.
  cfg,
  # The system's pkgs (with the overlay of nixpkgs.overlays applied).
  pkgs,
  # The names of the users with isNormalUser.
  normalUsers,
  # nix.nixPath.
  nixPath,
  # systemd.services of the whole system (to find the sandboxed ones).
  services,
  systemdPackage,
  nixPackage,
  # Whether two lowercase names are close, for "did you mean" (lib.strings.levenshteinAtMost 2 where lib exists).
  close ? a: b: false,
}:
let
  inherit (builtins)
    any
    attrNames
    concatMap
    concatStringsSep
    elem
    filter
    isAttrs
    listToAttrs
    ;

  user = "nix-pgo";
  group = "nix-pgo";
  stateDir = "/var/lib/${user}";
  configPath = "/etc/nix-pgo/config.json";

  # A flake given as itself (`self`) is evaluated from its store copy, which
  # any user may read; a string is a flake reference as the user wrote it.
  flakeRef = if isAttrs cfg.flake then "${cfg.flake.outPath}" else cfg.flake;

  systemFiles = import ./system-file.nix;
  systemFile = pkgs.writeText "nix-pgo-system.nix" (
    systemFiles.text {
      evaluated = systemFiles.nixos {
        flake = flakeRef;
        host = cfg.flakeHost;
      };
      how = if cfg.flake == null then "this NixOS system" else "the NixOS configuration ${cfg.flakeHost} of ${flakeRef}";
    }
  );

  hasPrefix = (import ../helpers.nix).hasPrefix;

  /** A value as systemd must read it from a unit file to give it back unchanged: `%` doubled (systemd.unit(5), "Specifiers"). */
  unitValue = builtins.replaceStrings [ "%" ] [ "%%" ];
  isTrue = v: v == true || v == "yes" || v == "true" || v == "on" || v == "1";

  filterAttrs = pred: set: listToAttrs (concatMap (name: if pred name set.${name} then [ { inherit name; value = set.${name}; } ] else [ ]) (attrNames set));

  shared = import ./shared-config.nix {
    inherit cfg pkgs stateDir systemFile;
    spoolDir = "/var/spool/nix-pgo";
    hookArgs.events = if cfg.desktopNotifications then "/run/nix-pgo/events.jsonl" else null;
    trustedUsers = [ "root" ] ++ normalUsers;
    settings =
      removeAttrs cfg.settings [ "notify" ]
      // (if cfg.settings ? notify then { notify = removeAttrs cfg.settings.notify [ "hook" ]; } else { })
      # The fleet option's section, with `settings.fleet` merged over it key by key.
      // (if fleetOn then { fleet = fleet.section cfg.fleet // (cfg.settings.fleet or { }); } else { });
    replace = cfg.replaceDependencies;
    inherit close;
  };
  inherit (shared) spoolDir checkedConfig env lock;

  notify = import ./notify.nix;
  fleet = import ./fleet.nix { };
  fleetOn = (cfg.fleet or null) != null;

  spool = import ./spool.nix { inherit spoolDir user group; };

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
  # (their instrumented programs would write nothing otherwise).
  sandboxed =
    name: service:
    !(elem name [ "nix-pgo" "nix-pgo-activate" ])
    && ((service.serviceConfig.ProtectSystem or null) == "strict" || isTrue (service.serviceConfig.DynamicUser or false));
  sandboxedServices = attrNames (filterAttrs sandboxed services);
  spoolAccess = pkgs.runCommand "nix-pgo-spool-access" { } (
    concatStringsSep "\n" (
      [ "mkdir -p $out/etc/systemd/system" ]
      ++ map (name: ''
        mkdir -p "$out/etc/systemd/system/${name}.service.d"
        printf '%s\n' '[Service]' 'ReadWritePaths=-${spoolDir}' >"$out/etc/systemd/system/${name}.service.d/nix-pgo-spool.conf"
      '') sandboxedServices
    )
  );

  hasNixosConfig = any (hasPrefix "nixos-config=") nixPath;
  evaluationPath = if cfg.flake == null then map unitValue nixPath else [ ];
  # getent: trustedUsers and the proposer are user names, resolved through NSS.
  evaluationTools = [ nixPackage pkgs.getent ] ++ (if cfg.flake != null then [ pkgs.git ] else [ ]);

  activate = import ./activate-unit.nix {
    package = cfg.package;
    configFile = configPath;
    proposer = user;
    proposal = [ "${stateDir}/pgo-lock.json" "${stateDir}/profile.variants.json" ];
    nixPath = evaluationPath;
    flake = cfg.flake != null;
    path = evaluationTools;
  };

  replaced = filter (name: pkgs.nixPgo.variants ? ${name} && !(pkgs.nixPgo.problems ? ${name})) cfg.replaceDependencies;

  enableWithMessage =
    name: options:
    if options ? profile || options ? boltProfile then
      ''services.nix-pgo.enableWith.${name}.${if options ? profile then "profile" else "boltProfile"}: the module selects the profile (from the lock file); remove it''
    else
      ''services.nix-pgo.enableWith.${name}: "${name}" is not in services.nix-pgo.packages; add it there too, or remove it here'';
in
{
  /** What the module sets when it is enabled with no packages: nothing but this warning. */
  whenIdle.warnings = [ shared.idleWarning ];

  /** The root-owned profile on every user's PATH and the checked lock, for the docs and tests. */
  inherit (activate) profile;
  systemLockFile = activate.lockFile;

  assertions =
    shared.assertions
    ++ map (name: {
      assertion = elem name cfg.packages;
      message = ''services.nix-pgo.replaceDependencies: "${name}" is not in services.nix-pgo.packages; add it there too, or remove it here'';
    }) cfg.replaceDependencies
    ++ map (name: {
      assertion = elem name cfg.packages && !(cfg.enableWith.${name} ? profile) && !(cfg.enableWith.${name} ? boltProfile);
      message = enableWithMessage name cfg.enableWith.${name};
    }) (attrNames cfg.enableWith)
    ++ [
      {
        assertion = pkgs ? nixPgo;
        message = "services.nix-pgo: the module's overlay is not in pkgs (is nixpkgs.pkgs set? then add the overlays of nixpkgs.overlays to it)";
      }
      {
        assertion = cfg.flake != null || hasNixosConfig;
        message = ''services.nix-pgo: the daemon cannot find this system's configuration: nix.nixPath has no nixos-config= entry. If this system is built from a flake, set services.nix-pgo.flake = self (the flake itself, in its outputs); otherwise add "nixos-config=/etc/nixos/configuration.nix" to nix.nixPath'';
      }
      {
        assertion = cfg.flake == null || cfg.flakeHost != "";
        message = "services.nix-pgo.flakeHost: give the name of this system in the flake's nixosConfigurations";
      }
    ];

  warnings = if lock.warning != null then [ lock.warning ] else [ ];

  services.nix-pgo.finalSettings = shared.rendered;

  nix.settings = if fleetOn then fleet.nixSettings cfg.fleet else { };

  nixpkgs.overlays = [ shared.overlay ];

  environment = {
    systemPackages = [ cfg.package ];
    sessionVariables = env.variables // { NIX_PGO_CONFIG = configPath; };
    # Root's profile of root's own builds: never the daemon's.
    profiles = [ activate.profile ];
    etc."nix-pgo/config.json".source = checkedConfig;
    etc."nix-pgo/system.nix".source = systemFile;
  };

  systemd = {
    # NixOS writes these into every unit's Environment= as they are, and systemd
    # expands its specifiers there: `%` must reach it doubled to stay a `%`.
    globalEnvironment = builtins.mapAttrs (_: unitValue) env.variables;
    tmpfiles.settings."10-nix-pgo" = spool.settings;
    packages = if cfg.sandboxedServices then [ spoolAccess ] else [ ];

    services.nix-pgo = import ./unit.nix {
      package = cfg.package;
      configFile = configPath;
      configSource = checkedConfig;
      inherit user group spoolDir;
      nixPath = evaluationPath;
      flake = cfg.flake != null;
      path = evaluationTools;
      unset = env.names;
      preStart = [
        "${systemdPackage}/bin/systemd-tmpfiles --create --prefix=${spoolDir}"
        "${prepareSpool}"
      ];
      kill = "${pkgs.coreutils}/bin/kill";
    };
    services.nix-pgo-activate = activate.service;
    paths.nix-pgo-activate = activate.pathUnit;

    user.services = if !cfg.desktopNotifications then { } else {
      nix-pgo-notify = {
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
    };
  };

  users = {
    users.${user} = {
      isSystemUser = true;
      inherit group;
      home = stateDir;
      description = "nix-pgo daemon";
    };
    groups.${group} = { };
  };

  fileSystems =
    if cfg.spoolSize == null then
      { }
    else
      {
        ${spoolDir} = {
          device = "tmpfs";
          fsType = "tmpfs";
          options = [ "size=${cfg.spoolSize}" "mode=0755" "nosuid" "nodev" "noexec" ];
        };
      };

  system.replaceDependencies.replacements = concatMap (
    name:
    let
      old = pkgs.${name};
      new = pkgs.nixPgo.variants.${name};
    in
    map (output: { oldDependency = old.${output}; newDependency = new.${output}; }) (old.outputs or [ "out" ])
  ) replaced;
}
