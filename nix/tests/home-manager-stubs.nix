/**
  The home-manager options the nix-pgo module sets or reads, declared with
  their types as home-manager declares them (modules/home-environment.nix,
  modules/misc/xdg.nix, modules/files.nix, modules/systemd.nix,
  modules/misc/nixpkgs.nix, assertions), and `pkgs` made from the test
  package set and `nixpkgs.overlays`. Only types, defaults and merging.
*/
{
  # The test package set: final -> { … } (nixos-pkgs.nix).
  basePkgs,
}:
{ config, lib, ... }:
let
  inherit (lib) mkOption types;

  overlayType = lib.mkOptionType {
    name = "nixpkgs-overlay";
    description = "nixpkgs overlay";
    check = lib.isFunction;
    merge = lib.mergeOneOption;
  };

  fileType = types.attrsOf (
    types.submodule (
      { name, ... }:
      {
        options = {
          enable = mkOption { type = types.bool; default = true; };
          target = mkOption { type = types.str; default = name; };
          text = mkOption { type = types.nullOr types.lines; default = null; };
          source = mkOption { type = types.path; };
          executable = mkOption { type = types.nullOr types.bool; default = null; };
        };
      }
    )
  );

  # modules/systemd.nix: unitBaseType "service"
  serviceType = types.attrsOf (
    types.submodule {
      freeformType =
        let
          primitive = types.oneOf [ types.bool types.int types.str types.path ];
        in
        types.attrsOf (types.attrsOf (types.either primitive (types.listOf primitive)));
      options = {
        Unit = {
          Description = mkOption { type = types.nullOr types.str; default = null; };
          Documentation = mkOption { type = with types; coercedTo str lib.toList (listOf str); default = [ ]; };
          X-Reload-Triggers = mkOption { type = with types; listOf (either package str); default = [ ]; };
          X-Restart-Triggers = mkOption { type = with types; listOf (either package str); default = [ ]; };
        };
        Service = {
          Environment = mkOption { type = with types; coercedTo str lib.toList (listOf str); default = [ ]; };
          ExecStart = mkOption {
            type = with types; either (either package str) (listOf (either package str));
            apply = lib.toList;
            default = [ ];
          };
        };
      };
    }
  );
in
{
  options = {
    assertions = mkOption { type = types.listOf types.unspecified; internal = true; default = [ ]; };
    warnings = mkOption { type = types.listOf types.str; internal = true; default = [ ]; };

    nixpkgs.overlays = mkOption { type = types.nullOr (types.listOf overlayType); default = null; };

    home = {
      username = mkOption { type = types.str; default = "alice"; };
      homeDirectory = mkOption { type = types.path; default = "/home/alice"; };
      packages = mkOption { type = types.listOf types.package; default = [ ]; };
      sessionVariables = mkOption { type = with types; lazyAttrsOf (oneOf [ str path int float ]); default = { }; };
      sessionVariablesExtra = mkOption { type = types.lines; default = ""; };
      sessionPath = mkOption { type = with types; listOf str; default = [ ]; };
    };

    xdg = {
      configHome = mkOption { type = types.path; default = "${config.home.homeDirectory}/.config"; };
      stateHome = mkOption { type = types.path; default = "${config.home.homeDirectory}/.local/state"; };
      configFile = mkOption { type = fileType; default = { }; };
    };

    systemd.user = {
      services = mkOption { type = serviceType; default = { }; };
      sessionVariables = mkOption { type = with types; attrsOf (either int str); default = { }; };
    };
  };

  config._module.args.pkgs = lib.fix (
    lib.extends (lib.composeManyExtensions (if config.nixpkgs.overlays == null then [ ] else config.nixpkgs.overlays)) basePkgs
  );
}
