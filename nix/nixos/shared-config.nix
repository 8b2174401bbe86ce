/**
  What the NixOS and the home-manager module compute from their options,
  without nixpkgs' lib: the daemon's config file and its check, the hook, the
  variables, the overlay, the lock as the configuration reads it, and the
  assertions both modules make. module-shared.nix declares the options and
  passes their values here; machine.nix (NixOS) builds on it, and so does
  the host test (test/host/), which has no nixpkgs' lib.

  # Example

  ```nix
  import ./shared-config.nix {
    cfg = config.services.nix-pgo;   # the option values, defaults applied
    inherit pkgs;
    stateDir = "/var/lib/nix-pgo";
    spoolDir = "/var/spool/nix-pgo";
    systemFile = "/nix/store/…-nix-pgo-system.nix";
    # …
  }
  => { rendered = { version = 1; … }; checkedConfig = «derivation»; env = { … }; overlay = «lambda»; … }
  ```
*/
{
  # The values of the services.nix-pgo options, defaults applied.
  cfg,
  pkgs,
  # The daemon's state directory, and the spool unless settings name another.
  stateDir,
  spoolDir,
  # The file that evaluates this configuration for the daemon (system-file.nix).
  systemFile,
  # The hook's arguments of this platform (notify.nix hookScript).
  hookArgs,
  # Whose profile data counts, or null for the daemon's default.
  trustedUsers ? null,
  # The user's settings as this platform renders them (after notify.hook is taken out).
  settings,
  # Names substituted through system.replaceDependencies instead of the overlay (NixOS).
  replace ? [ ],
  # Whether two lowercase names are close, for "did you mean" (lib.strings.levenshteinAtMost 2 where lib exists).
  close ? a: b: false,
  # The option prefix of messages.
  option ? "services.nix-pgo",
}:
let
  inherit (builtins) attrNames concatMap filter;

  nixProfile = "${stateDir}/profile";

  # The spool is the library's defaultProfileDir: the spool programs use when NIX_PGO_SPOOL is
  # unset (a service that clears its environment); GCC's baked directories name it too.
  nix-pgo = import ../. { defaultProfileDir = cfg.settings.spoolDir or spoolDir; };

  lock = import ./read-lock.nix { inherit (cfg) lockFile; option = "${option}.lockFile"; };

  userHook = cfg.settings.notify.hook or null;
  hook = pkgs.writeShellScript "nix-pgo-hook" (
    (import ./notify.nix).hookScript ({ jq = "${pkgs.jq}/bin/jq"; forward = userHook; } // hookArgs)
  );
  useHook = cfg.desktopNotifications || userHook != null;

  rendered = import ./config.nix {
    names = cfg.packages;
    boltNames = filter (name: cfg.enableWith.${name}.bolt or false) cfg.packages;
    nixFile = "${systemFile}";
    inherit stateDir nixProfile spoolDir trustedUsers settings;
    inherit (cfg) thresholdMB onReady;
    hook = if useHook then "${hook}" else null;
  };

  configFile = pkgs.writeText "nix-pgo-config.json" (builtins.toJSON rendered);

  problemMessage = import ./problems.nix {
    names = attrNames pkgs;
    inherit close;
    option = "${option}.packages";
  };

  problems = pkgs.nixPgo.problems or { };
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
    concatMap (name: [ { assertion = false; message = problemMessage name problems.${name}; } ]) (attrNames problems)
    ++ [
      {
        assertion = (rendered.stateDir or null) == stateDir && (rendered.nixProfile or null) == nixProfile;
        message = "${option}.settings: stateDir must stay ${stateDir} and nixProfile ${nixProfile} (the daemon's state and its Nix profile); remove them from settings";
      }
    ];

  /** When the module is on but has nothing to do: a warning, and nothing else is set. */
  idleWarning = "${option}.enable is true but ${option}.packages is empty, so nix-pgo is off (no overlay, spool, variables or daemon); name the packages to optimize in ${option}.packages";
}
