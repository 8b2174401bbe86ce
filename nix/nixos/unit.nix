/**
  The daemon's systemd service, as a NixOS `systemd.services.<name>` value.

  It runs as its own system user (not root): the spool's default ACL gives
  that user read and write access to every profile, it owns the spool
  directories (so it can remove harvested files in the sticky ones), and
  nothing else it needs is privileged: builds go through the Nix daemon
  (`NIX_REMOTE=daemon`), whose socket any user may use, and a Nix profile and
  indirect GC roots in its state directory are what any Nix user can have.
  Only two steps before it starts run as root (`+`): re-applying the spool's
  tmpfiles rules (a tmpfs spool mounted after systemd-tmpfiles ran would
  lack them) and creating each known user's directories in it.

  The sandbox is `ProtectSystem=strict` with the state, cache and runtime
  directories and the spool writable. Not used, and why: `PrivateUsers`
  (every file owner would be "nobody", and the daemon decides whose data a
  profile is by its owner), `DynamicUser` (the spool's files need a stable
  owner), `MemoryDenyWriteExecute` (Node's JIT needs writable-executable
  memory), `PrivateNetwork` and narrower address families (evaluating the
  system may fetch: `fetchTarball` in a configuration, flake inputs).
  Filtered system calls fail with EPERM instead of killing Node.

  # Example

  ```nix
  systemd.services.nix-pgo = import ./unit.nix { package = pkgs.nix-pgo; … };
  ```
*/
{
  # The nix-pgo package (bin/nix-pgo).
  package,
  # The config file the daemon reads (a path in /etc: its content changes
  # reload the daemon, the unit stays the same).
  configFile,
  # What a change of the config file is (its store path): reloads.
  configSource,
  user,
  group,
  stateDirectory ? "nix-pgo",
  spoolDir,
  # NIX_PATH of the daemon's evaluations (nixos-config=…, nixpkgs=…), or [ ].
  nixPath ? [ ],
  # Whether the daemon evaluates a flake (builtins.getFlake needs the feature).
  flake ? false,
  # Packages on the daemon's PATH (nix; git for flakes).
  path ? [ ],
  # Variables the daemon must not inherit from systemd.globalEnvironment.
  unset ? [ ],
  # Commands run as root before the daemon starts.
  preStart ? [ ],
  # The kill command for ExecReload.
  kill ? "kill",
}:
let
  stateDir = "/var/lib/${stateDirectory}";
in
{
  description = "nix-pgo: collects profiles, builds and switches to optimized variants";
  wantedBy = [ "multi-user.target" ];
  wants = [ "nix-daemon.socket" ];
  after = [ "nix-daemon.socket" "systemd-tmpfiles-setup.service" ];
  unitConfig.RequiresMountsFor = [ spoolDir stateDir ];
  inherit path;
  # Not in the unit's environment at all (globalEnvironment's values are
  # overridden with null, which NixOS leaves out); UnsetEnvironment below
  # covers what reaches the service manager by other ways.
  environment =
    builtins.listToAttrs (map (name: { inherit name; value = null; }) unset)
    // {
      NIX_REMOTE = "daemon";
      HOME = stateDir;
      XDG_CACHE_HOME = "/var/cache/${stateDirectory}";
    }
    // (if nixPath == [ ] then { } else { NIX_PATH = builtins.concatStringsSep ":" nixPath; })
    # extra-: added to the system's features, not in place of them.
    // (if flake then { NIX_CONFIG = "extra-experimental-features = nix-command flakes"; } else { });
  # A new config is read on SIGHUP; the unit itself does not change.
  reloadTriggers = [ configSource ];
  serviceConfig = import ./sandbox.nix // {
    Type = "simple";
    User = user;
    Group = group;
    ExecStartPre = map (command: "+${command}") preStart;
    ExecStart = "${package}/bin/nix-pgo daemon --config ${configFile}";
    ExecReload = "${kill} -HUP $MAINPID";
    Restart = "on-failure";
    RestartSec = "10s";
    UnsetEnvironment = unset;

    StateDirectory = stateDirectory;
    StateDirectoryMode = "0755";
    CacheDirectory = stateDirectory;
    CacheDirectoryMode = "0700";
    RuntimeDirectory = stateDirectory;
    RuntimeDirectoryMode = "0755";
    ReadWritePaths = [ spoolDir ];
    UMask = "0022";
    Nice = 10;
    # No ProtectProc: a BOLT profile is whole only once the process that writes it is gone, and the daemon sees
    # other users' processes only in an unfiltered /proc (it reads their start time and owner, nothing more).
  };
}
