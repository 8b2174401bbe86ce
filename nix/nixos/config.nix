/**
  The daemon's config file as the modules write it (RFC 42): the typed
  options are defaults inside it, and `settings` is merged over them, key by
  key, so a key `settings` sets wins (a list or a value replaces; an
  attribute set is merged the same way one level down).

  Every managed name becomes `packages.NAME = { nixFile; attr = NAME; }`, the
  file being the one that evaluates the system (see system.nix), plus
  `bolt = true` for the names in `boltNames`.

  # Example

  ```nix
  import ./config.nix {
    names = [ "sqlite" ];
    nixFile = "/nix/store/…-nix-pgo-system.nix";
    stateDir = "/var/lib/nix-pgo";
    spoolDir = "/var/spool/nix-pgo";
    nixProfile = "/var/lib/nix-pgo/profile";
    thresholdMB = 1;
    onReady = "switch";
    trustedUsers = [ "root" "alice" ];
    settings = { policy.minRuns = 3; };
  }
  => { version = 1; stateDir = "/var/lib/nix-pgo"; …; policy = { thresholdMB = 1; onReady = "switch"; minRuns = 3; }; packages.sqlite = { nixFile = "/nix/store/…"; attr = "sqlite"; }; }
  ```
*/
{
  names,
  # The names whose enableWith options turn BOLT on: their config entry asks for the BOLT stage.
  boltNames ? [ ],
  nixFile,
  stateDir,
  spoolDir,
  nixProfile,
  thresholdMB,
  onReady,
  # Whose profile data counts (a list, or "*"); null: the daemon's default
  # (only the user it runs as).
  trustedUsers ? null,
  # An executable for notify.hook, or null.
  hook ? null,
  # The user's `settings`: the config file's own keys.
  settings ? { },
}:
let
  inherit (builtins) attrNames foldl' isAttrs listToAttrs;

  /**
    `base` with `over` merged into it: values of `over` win, attribute sets
    are merged recursively.

    # Example

    ```nix
    merge { a = { b = 1; c = 2; }; l = [ 1 ]; } { a.b = 3; l = [ 2 ]; }
    => { a = { b = 3; c = 2; }; l = [ 2 ]; }
    ```
  */
  merge =
    base: over:
    foldl' (
      acc: name:
      acc
      // {
        ${name} =
          if isAttrs (acc.${name} or null) && isAttrs over.${name} then merge acc.${name} over.${name} else over.${name};
      }
    ) base (attrNames over);

  defaults = {
    version = 1;
    inherit stateDir spoolDir nixProfile;
    policy = { inherit thresholdMB onReady; };
    packages = listToAttrs (
      map (name: {
        inherit name;
        value = { inherit nixFile; attr = name; } // (if builtins.elem name boltNames then { bolt = true; } else { });
      }) names
    );
  }
  // (if trustedUsers == null then { } else { inherit trustedUsers; })
  // (if hook == null then { } else { notify.hook = hook; });
in
merge defaults settings
