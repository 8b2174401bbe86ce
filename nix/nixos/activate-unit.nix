/**
  Root's side of the switch to optimized variants on NixOS: a oneshot
  service, started by a path unit whenever the daemon changes its proposal
  (its lock file and its list of active variants), that runs
  `nix-pgo activate-system` as root.

  The daemon runs as its own user and only proposes: which merged profile
  (a content-addressed store path) and which variant each package should
  have. `activate-system` checks the proposal strictly, evaluates the
  system's own file (the expression `nixos-rebuild` evaluates) with those
  profiles as root, builds, and switches a profile root owns, which is the
  one on every user's PATH; it also writes the checked lock, which is what
  the next rebuild reads. So the daemon's user can choose profile data,
  never code. See docs/nixos.md ("Who runs what").

  The service has no capabilities: root's uid is enough to write its own
  state directory and to be a trusted client of the Nix daemon, which
  builds.

  # Example

  ```nix
  let a = import ./activate-unit.nix { package = pkgs.nix-pgo; … };
  in { systemd.services.nix-pgo-activate = a.service; systemd.paths.nix-pgo-activate = a.pathUnit; }
  ```
*/
{
  # The nix-pgo package (bin/nix-pgo).
  package,
  # The daemon's config file (names the packages, the daemon's state and the system's Nix file).
  configFile,
  # Root's state directory below /var/lib, holding the system profile and the checked lock.
  stateDirectory ? "nix-pgo-system",
  # The daemon's user: the proposal's files must be its own.
  proposer,
  # The files the daemon proposes with (its lock file and its active-variants file).
  proposal,
  # NIX_PATH of the evaluation (nixos-config=…, nixpkgs=…), or [ ].
  nixPath ? [ ],
  # Whether the system's Nix file evaluates a flake.
  flake ? false,
  # Packages on the service's PATH (nix; git for flakes).
  path ? [ ],
}:
let
  stateDir = "/var/lib/${stateDirectory}";
in
{
  inherit stateDir;
  profile = "${stateDir}/profile";
  lockFile = "${stateDir}/pgo-lock.json";

  service = {
    description = "nix-pgo: checks the daemon's proposal and switches the system's profile to root's own build of it";
    wantedBy = [ "multi-user.target" ];
    wants = [ "nix-daemon.socket" ];
    after = [ "nix-daemon.socket" "nix-pgo.service" ];
    # Every change of the proposal starts it (a switch changes two files): a start
    # limit would fail it, and its path unit with it, after a few quick switches.
    unitConfig.StartLimitIntervalSec = 0;
    inherit path;
    environment = {
      NIX_REMOTE = "daemon";
      HOME = stateDir;
    }
    // (if nixPath == [ ] then { } else { NIX_PATH = builtins.concatStringsSep ":" nixPath; })
    // (if flake then { NIX_CONFIG = "extra-experimental-features = nix-command flakes"; } else { });
    serviceConfig = import ./sandbox.nix // {
      Type = "oneshot";
      ExecStart = builtins.concatStringsSep " " [
        "${package}/bin/nix-pgo activate-system"
        "--config ${configFile}"
        "--proposer ${proposer}"
        "--profile ${stateDir}/profile"
        "--lock ${stateDir}/pgo-lock.json"
      ];
      StateDirectory = stateDirectory;
      StateDirectoryMode = "0755";
      UMask = "0022";

    };
  };

  pathUnit = {
    description = "nix-pgo: the daemon's proposal changed";
    wantedBy = [ "multi-user.target" ];
    pathConfig = {
      PathChanged = proposal;
      Unit = "nix-pgo-activate.service";
    };
  };
}
