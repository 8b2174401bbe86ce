/**
  The Nix file the modules give the daemon (`nixFile` of every managed
  package): a function of `pgoProfiles`, as the daemon calls it, that
  evaluates the configuration and passes it to system.nix.

  How the configuration is found (`evaluated`, a Nix expression as text):

  | mode | expression |
  |---|---|
  | NixOS without flakes | `import <nixpkgs/nixos> { }`, with the service's NIX_PATH (nixos-config=…), as `nixos-rebuild` does |
  | NixOS flake | `(builtins.getFlake "FLAKE").nixosConfigurations."HOST"` |
  | home-manager flake | `(builtins.getFlake "FLAKE").homeConfigurations."USER"` |
  | home-manager without flakes | `import <home-manager/modules> { configuration = FILE; pkgs = import <nixpkgs> { }; }` |

  # Example

  ```nix
  let f = import ./system-file.nix; in
  f.text { evaluated = f.nixos { flake = null; }; how = "this NixOS system"; }
  => "# Written by the nix-pgo module …\n{ pgoProfiles ? { }, boltProfiles ? { } }:\nimport /nix/store/…-system.nix { … }\n"
  ```
*/
let
  /**
    A Nix string literal for `s` (`$` escaped, so nothing is interpolated).

    # Example

    ```nix
    quote "a\"\${b}"
    => "\"a\\\"\\\${b}\""
    ```
  */
  quote = s: builtins.replaceStrings [ "$" ] [ "\\$" ] (builtins.toJSON s);
in
{
  inherit quote;

  /** The expression for a NixOS system: its flake's configuration HOST, or the one nixos-rebuild finds. */
  nixos =
    { flake ? null, host ? null }:
    if flake == null then "import <nixpkgs/nixos> { }" else "(builtins.getFlake ${quote flake}).nixosConfigurations.${quote host}";

  /** The expression for a home-manager configuration: its flake's homeConfigurations.USER, or FILE. */
  homeManager =
    { flake ? null, user ? null, configuration ? null }:
    if flake == null then
      "import <home-manager/modules> { configuration = ${quote configuration}; pkgs = import <nixpkgs> { }; }"
    else
      "(builtins.getFlake ${quote flake}).homeConfigurations.${quote user}";

  /** The file's text. */
  text =
    {
      # The configuration, as one of the expressions above.
      evaluated,
      # What it is, for messages.
      how,
    }:
    ''
      # Written by the nix-pgo module: the packages it manages, from ${how}'s own
      # pkgs, for the daemon (nix-build THIS -A NAME.pgo.profile, and
      # -A NAME.pgo.optimized --arg pgoProfiles '{ NAME = …; }', and with BOLT
      # NAME.pgo.boltProfile and NAME.pgo.boltOptimized --arg boltProfiles '{ … }').
      { pgoProfiles ? { }, boltProfiles ? { } }:
      import ${./system.nix} {
        inherit pgoProfiles boltProfiles;
        how = ${quote how};
        evaluated = ${evaluated};
      }
    '';
}
