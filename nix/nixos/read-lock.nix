/**
  The lock file as the module reads it: its entries, or none and why.

  - `lockFile = null`: no entries.
  - A Nix path (a copy committed with the configuration, `./pgo-lock.json`)
    or a store path: read in any evaluation, pure ones (flakes) included.
  - Any other absolute path (root's lock of what it activated, /var/lib/nix-pgo-system/pgo-lock.json):
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

  # An entry's values reach a derivation (locked-profile.nix): only the forms nix-pgo writes.
  matches = re: v: builtins.isString v && builtins.match re v != null;
  wellFormed =
    e:
    builtins.isAttrs e
    && matches "${storeDir}/[0-9abcdfghijklmnpqrsvwxyz]{32}-[A-Za-z0-9+._?=-]+" (e.storePath or null)
    && builtins.elem (e.hashMode or null) [ "flat" "recursive" ]
    && matches "sha256:([0-9a-f]{64}|[0-9abcdfghijklmnpqrsvwxyz]{52})" (e.hash or null)
    && (!(e ? system) || matches "[a-z0-9_]+-[a-z0-9_]+" e.system);
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
    let
      boltEntries = lock.boltProfiles or { };
      bad = builtins.filter (name: !(wellFormed lock.packages.${name})) (builtins.attrNames lock.packages)
        ++ builtins.filter (name: !(wellFormed boltEntries.${name})) (builtins.attrNames boltEntries);
    in
    if bad != [ ] then
      throw "nix-pgo: ${option}: ${text} has entries that are not profiles nix-pgo locks (${builtins.concatStringsSep ", " bad}); point ${option} at the lock root's activation writes, or a copy of it"
    else
      { entries = lock.packages; inherit boltEntries; warning = null; }
