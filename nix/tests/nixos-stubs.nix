/**
  The NixOS options the nix-pgo module sets or reads, declared with their
  types as nixos/modules declares them (assertions.nix, nixpkgs.nix,
  system-environment.nix, shells-environment.nix, etc.nix, systemd.nix and
  systemd-unit-options.nix, systemd/tmpfiles.nix, systemd/user.nix,
  users-groups.nix, top-level.nix, nix-channel.nix, nix.nix,
  network-interfaces.nix, filesystems.nix), and `pkgs` made the way
  nixpkgs.nix makes it: the base package set extended with
  `nixpkgs.overlays`. What the options do is not here: only their types,
  defaults and merging, which is what evaluating the module needs.

  With real NixOS (nixos-vm.nix) none of this is used.
*/
{
  # The test package set: final -> { … } (nixos-pkgs.nix).
  basePkgs,
}:
{ config, lib, ... }:
let
  inherit (lib) mkOption types;

  # nixos/lib/systemd-lib.nix
  unitNameType = types.strMatching "[a-zA-Z0-9@%:_.\\-]+[.](service|socket|device|mount|automount|swap|target|path|timer|scope|slice)";

  # nixos/lib/systemd-unit-options.nix
  unitOption = lib.mkOptionType {
    name = "systemd option";
    merge =
      loc: defs:
      let
        defs' = lib.filterOverrides defs;
      in
      if lib.isList (lib.head defs').value then
        lib.concatMap (
          def:
          if builtins.typeOf def.value == "list" then
            def.value
          else
            throw "The definitions for systemd unit options should be either all lists, representing repeatable options, or all non-lists, but for the option ${lib.showOption loc}, the definitions are a mix of list and non-list ${lib.options.showDefs defs'}"
        ) defs'
      else
        lib.mergeEqualOption loc defs';
  };

  checkService =
    attrs:
    let
      values = {
        Type = [ "exec" "simple" "forking" "oneshot" "dbus" "notify" "notify-reload" "idle" ];
        Restart = [ "no" "on-success" "on-failure" "on-abnormal" "on-abort" "always" ];
      };
      bad = lib.filter (n: attrs ? ${n} && !(lib.elem attrs.${n} values.${n})) (lib.attrNames values);
    in
    bad == [ ];

  unitsOf = deps: mkOption { default = [ ]; type = types.listOf unitNameType; };

  serviceType = types.attrsOf (
    types.submodule {
      options = {
        enable = mkOption { type = types.bool; default = true; };
        description = mkOption { type = types.singleLineStr; default = ""; };
        documentation = mkOption { type = types.listOf types.str; default = [ ]; };
        wantedBy = unitsOf null;
        requiredBy = unitsOf null;
        wants = unitsOf null;
        requires = unitsOf null;
        after = unitsOf null;
        before = unitsOf null;
        partOf = unitsOf null;
        bindsTo = unitsOf null;
        conflicts = unitsOf null;
        unitConfig = mkOption { type = types.attrsOf unitOption; default = { }; };
        serviceConfig = mkOption { type = types.addCheck (types.attrsOf unitOption) checkService; default = { }; };
        environment = mkOption { type = with types; attrsOf (nullOr (oneOf [ str path package ])); default = { }; };
        path = mkOption { type = with types; listOf (oneOf [ package str ]); default = [ ]; };
        script = mkOption { type = types.lines; default = ""; };
        preStart = mkOption { type = types.lines; default = ""; };
        restartTriggers = mkOption { type = types.listOf types.unspecified; default = [ ]; };
        reloadTriggers = mkOption { type = types.listOf unitOption; default = [ ]; };
        restartIfChanged = mkOption { type = types.bool; default = true; };
        reloadIfChanged = mkOption { type = types.bool; default = false; };
        stopIfChanged = mkOption { type = types.bool; default = true; };
        startAt = mkOption { type = with types; either str (listOf str); default = [ ]; };
      };
    }
  );

  # nixos/lib/systemd-unit-options.nix (pathOptions with the common unit options)
  pathType = types.attrsOf (
    types.submodule {
      options = {
        enable = mkOption { type = types.bool; default = true; };
        description = mkOption { type = types.singleLineStr; default = ""; };
        wantedBy = unitsOf null;
        requiredBy = unitsOf null;
        wants = unitsOf null;
        after = unitsOf null;
        before = unitsOf null;
        unitConfig = mkOption { type = types.attrsOf unitOption; default = { }; };
        pathConfig = mkOption { type = types.attrsOf unitOption; default = { }; };
      };
    }
  );

  # nixos/modules/config/shells-environment.nix (environment.variables)
  variablesType = with types; attrsOf (oneOf [ (listOf (oneOf [ int str path ])) int str path ]);
  variablesApply = lib.mapAttrs (n: v: if lib.isList v then lib.concatMapStringsSep ":" toString v else toString v);

  # nixos/modules/misc/nixpkgs.nix
  overlayType = lib.mkOptionType {
    name = "nixpkgs-overlay";
    description = "nixpkgs overlay";
    check = lib.isFunction;
    merge = lib.mergeOneOption;
  };

  # nixos/modules/system/boot/systemd/tmpfiles.nix
  tmpfilesType = types.attrsOf (
    types.attrsOf (
      types.attrsOf (
        types.submodule (
          { name, ... }:
          {
            options.type = mkOption { type = types.str; default = name; };
            options.mode = mkOption { type = types.str; default = "-"; };
            options.user = mkOption { type = types.str; default = "-"; };
            options.group = mkOption { type = types.str; default = "-"; };
            options.age = mkOption { type = types.str; default = "-"; };
            options.argument = mkOption { type = types.str; default = ""; };
          }
        )
      )
    )
  );
in
{
  options = {
    assertions = mkOption { type = types.listOf types.unspecified; internal = true; default = [ ]; };
    warnings = mkOption { type = types.listOf types.str; internal = true; default = [ ]; };

    nixpkgs.overlays = mkOption { type = types.listOf overlayType; default = [ ]; };

    environment = {
      systemPackages = mkOption { type = types.listOf types.package; default = [ ]; };
      variables = mkOption { type = variablesType; apply = variablesApply; default = { }; };
      sessionVariables = mkOption { type = variablesType; apply = variablesApply; default = { }; };
      extraInit = mkOption { type = types.lines; default = ""; };
      profiles = mkOption { type = types.listOf types.str; default = [ ]; };
      etc = mkOption {
        default = { };
        type = types.attrsOf (
          types.submodule (
            { name, config, ... }:
            {
              options = {
                enable = mkOption { type = types.bool; default = true; };
                target = mkOption { type = types.str; default = name; };
                text = mkOption { type = types.nullOr types.lines; default = null; };
                source = mkOption { type = types.path; };
                mode = mkOption { type = types.str; default = "symlink"; };
                user = mkOption { type = types.str; default = "+0"; };
                group = mkOption { type = types.str; default = "+0"; };
              };
            }
          )
        );
      };
    };

    systemd = {
      package = mkOption { type = types.package; default = config._module.args.pkgs.systemd; };
      packages = mkOption { type = types.listOf types.package; default = [ ]; };
      globalEnvironment = mkOption { type = with types; attrsOf (nullOr (oneOf [ str path package ])); default = { }; };
      services = mkOption { type = serviceType; default = { }; };
      paths = mkOption { type = pathType; default = { }; };
      user.services = mkOption { type = serviceType; default = { }; };
      tmpfiles.settings = mkOption { type = tmpfilesType; default = { }; };
    };

    users = {
      users = mkOption {
        default = { };
        type = types.attrsOf (
          types.submodule {
            options = {
              isSystemUser = mkOption { type = types.bool; default = false; };
              isNormalUser = mkOption { type = types.bool; default = false; };
              group = mkOption { type = types.str; default = ""; };
              home = mkOption { type = types.passwdEntry types.path; default = "/var/empty"; };
              description = mkOption { type = types.passwdEntry types.str; default = ""; };
              uid = mkOption { type = with types; nullOr int; default = null; };
              extraGroups = mkOption { type = types.listOf types.str; default = [ ]; };
            };
          }
        );
      };
      groups = mkOption {
        default = { };
        type = types.attrsOf (
          types.submodule {
            options.gid = mkOption { type = with types; nullOr int; default = null; };
            options.members = mkOption { type = types.listOf (types.passwdEntry types.str); default = [ ]; };
          }
        );
      };
    };

    system.replaceDependencies.replacements = mkOption {
      default = [ ];
      type = types.listOf (
        types.submodule {
          options.oldDependency = mkOption { type = types.package; };
          options.newDependency = mkOption { type = types.package; };
        }
      );
      apply = map ({ oldDependency, newDependency, ... }: { inherit oldDependency newDependency; });
    };

    nix = {
      package = mkOption { type = types.package; default = config._module.args.pkgs.nix; };
      # The settings the module sets (nix.conf's lists), merged as NixOS merges them.
      settings = mkOption { type = types.attrsOf (types.listOf types.str); default = { }; };
      nixPath = mkOption {
        type = types.listOf types.str;
        default = [
          "nixpkgs=/nix/var/nix/profiles/per-user/root/channels/nixos"
          "nixos-config=/etc/nixos/configuration.nix"
          "/nix/var/nix/profiles/per-user/root/channels"
        ];
      };
    };

    networking.hostName = mkOption {
      type = types.strMatching "^$|^[[:alnum:]]([[:alnum:]_-]{0,61}[[:alnum:]])?$";
      default = "nixos";
    };

    fileSystems = mkOption {
      default = { };
      type = types.attrsOf (
        types.submodule {
          options = {
            device = mkOption { type = types.nullOr types.nonEmptyStr; default = null; };
            fsType = mkOption { type = types.nonEmptyStr; default = "auto"; };
            options = mkOption { type = types.nonEmptyListOf types.nonEmptyStr; default = [ "defaults" ]; };
          };
        }
      );
    };
  };

  config._module.args.pkgs = lib.fix (lib.extends (lib.composeManyExtensions config.nixpkgs.overlays) basePkgs);
}
