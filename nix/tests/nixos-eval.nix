/**
  Evaluates the nix-pgo NixOS or home-manager module with the real module
  system (`lib.evalModules` of the nixpkgs lib found as `<nixpkgs/lib>`),
  the option declarations of nixos-stubs.nix / home-manager-stubs.nix and
  the test package set of nixos-pkgs.nix as the system's pkgs.

  # Example

  ```sh
  nix-instantiate --eval --strict --json -E '
    let t = import ./nix/tests/nixos-eval.nix { };
    in (t.nixos [ { services.nix-pgo.packages = [ "calc" ]; } ]).config.services.nix-pgo.enable'
  => true
  ```
*/
{
  lib ? import <nixpkgs/lib>,
  system ? builtins.currentSystem,
  # This checkout's root as a string (for the nix-pgo package that runs the
  # compiled CLI), or null for a stub package.
  repo ? null,
  # The Node.js that runs it (nixos-pkgs.nix).
  node ? "node",
}:
let
  basePkgs = import ./nixos-pkgs.nix { inherit system repo node; };

  # What every test configuration has: a package for the daemon that does
  # not need nixpkgs (the module's default is pkgs.callPackage ../package.nix).
  testDefaults = {
    services.nix-pgo.package = lib.mkDefault (lib.fix basePkgs).nix-pgo;
    # Not the daemon's lock of the machine that runs the tests.
    services.nix-pgo.lockFile = lib.mkDefault null;
  };

  evalWith =
    stubs: module: modules:
    lib.evalModules { modules = [ stubs module testDefaults ] ++ modules; };

  /** The failed assertions' messages, as NixOS collects them before it builds. */
  failedAssertions = evaluated: map (a: a.message) (builtins.filter (a: !a.assertion) evaluated.config.assertions);
in
{
  inherit lib basePkgs failedAssertions;

  /** The package set without any overlay: what the system would have without nix-pgo. */
  plainPkgs = lib.fix basePkgs;

  /** A NixOS configuration of these modules. */
  nixos = evalWith (import ./nixos-stubs.nix { inherit basePkgs; }) ../nixos-module.nix;

  /** A home-manager configuration of these modules. */
  homeManager = evalWith (import ./home-manager-stubs.nix { inherit basePkgs; }) ../home-manager-module.nix;
}
