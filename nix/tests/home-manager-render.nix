/**
  A faithful copy, in builtins only, of how home-manager writes a user unit
  (modules/systemd.nix: `toSystemdIni`, nixpkgs' `generators.toINI` with
  lists as repeated keys, values written as they are), for the host test of
  the home-manager module's unit (test/host/nixos-machine.int.test.ts).

  # Example

  ```nix
  import ./home-manager-render.nix { inherit pkgs; } "nix-pgo.service" (import ../nixos/home-manager-unit.nix { … })
  => «derivation: $out/nix-pgo.service»
  ```
*/
{ pkgs }:
filename: unit:
let
  inherit (builtins) attrNames concatStringsSep filter isBool isList listToAttrs;

  # home-manager's buildService: members that are null or [ ], then sections that are { }, are left out.
  kept = set: listToAttrs (map (name: { inherit name; value = set.${name}; }) (filter (n: set.${n} != null && set.${n} != [ ] && set.${n} != { }) (attrNames set)));
  sections = kept (builtins.mapAttrs (_: kept) unit);

  # toSystemdIni's mkKeyValue: booleans as true/false, everything else through toString, nothing quoted.
  value = v: if isBool v then (if v then "true" else "false") else toString v;
  line = key: v: "${key}=${value v}\n";
  # generators.toINI: sections and keys in attribute order, a list as one line per value, sections apart by a blank line.
  section = name: "[${name}]\n" + concatStringsSep "" (map (key: let v = sections.${name}.${key}; in if isList v then concatStringsSep "" (map (line key) v) else line key v) (attrNames sections.${name}));
  text = concatStringsSep "\n" (map section (attrNames sections));
in
pkgs.runCommand "hm-unit-${filename}" { inherit text; passAsFile = [ "text" ]; } ''
  mkdir -p "$out"
  cp "$textPath" "$out/${filename}"
''
