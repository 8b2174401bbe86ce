/**
  The lock file as the module reads it: its entries, or none and why.

  - `lockFile = null`: no entries.
  - A Nix path (a copy committed with the configuration, `./pgo-lock.json`)
    or a store path: read in any evaluation, pure ones (flakes) included.
  - Any other absolute path (the daemon's own, /var/lib/nix-pgo/pgo-lock.json):
    read only where evaluation is impure (nixos-rebuild without flakes); a pure
    evaluation gets no entries and a warning saying how to commit the lock.
  - A file that does not exist (yet): no entries.

  # Example

  ```nix
  import ./read-lock.nix { lockFile = ./pgo-lock.json; }
  => { entries = { sqlite = { storePath = "/nix/store/…-pgo-sqlite.profdata"; hashMode = "flat"; hash = "sha256:…"; … }; }; boltEntries = { }; warning = null; }
  ```
*/
{
  lockFile,
  # The option that named the file, for messages.
  option ? "services.nix-pgo.lockFile",
  # Whether this evaluation is pure (no builtins.currentSystem in flakes).
  pure ? !(builtins ? currentSystem),
}:
let
  inherit (builtins) isPath pathExists readFile fromJSON storeDir;

  text = toString lockFile;
  inStore = (import ../helpers.nix).hasPrefix "${storeDir}/" text;
  readable = isPath lockFile || inStore || !pure;

  none = warning: { entries = { }; boltEntries = { }; inherit warning; };
in
if lockFile == null then
  none null
else if !readable then
  none "${option} is ${text}, which a pure evaluation (flakes) cannot read, so every managed package stays on its profiling variant after a rebuild; copy the lock next to your configuration, commit it (cp ${text} pgo-lock.json; git add pgo-lock.json) and set ${option} = ./pgo-lock.json"
else if !(pathExists lockFile) then
  none null
else
  let
    lock = fromJSON (readFile lockFile);
  in
  if !(builtins.isAttrs lock) || (lock.version or null) != 1 || !(builtins.isAttrs (lock.packages or null)) then
    throw "nix-pgo: ${option}: ${text} is not a version 1 nix-pgo lock file; point ${option} at the pgo-lock.json the daemon writes (or a copy of it), or set it to null"
  else
    { entries = lock.packages; boltEntries = lock.boltProfiles or { }; warning = null; }
