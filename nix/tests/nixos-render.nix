/**
  A faithful copy, in builtins only, of the parts of NixOS that turn the
  options the nix-pgo module sets into files on a machine, for the
  real-systemd host test (test/host/nixos-machine.int.test.ts), which runs
  where there is neither NixOS nor nixpkgs. Written from NixOS' own sources;
  each part names the file it mirrors. What the module does not use is left
  out (sockets, timers, mounts as units, aliases, upheldBy, requiredBy).

  `config` has the shape of a NixOS configuration's `config` (the module
  system's result, or the same values composed without it): defaults that
  NixOS' option declarations add are applied here, so both render the same
  bytes.

  The result is one directory:

  | path | NixOS |
  |---|---|
  | etc/systemd/system/, etc/systemd/user/ | the units, `.wants` links, drop-ins of systemd.packages |
  | etc/tmpfiles.d/NAME.conf | systemd.tmpfiles.settings.NAME |
  | etc/pam/environment | environment.sessionVariables and the profiles' PATH, for pam_env |
  | etc/set-environment | what every shell sources (environment.variables, profiles, extraInit) |
  | etc/fstab | fileSystems |
  | etc/TARGET | environment.etc |
  | sw/ | /run/current-system/sw: environment.systemPackages |
  | users.json | users.users and users.groups, for the test to create |

  # Example

  ```sh
  nix-build -E 'import nix/tests/nixos-render.nix { pkgs = …; config = …; }'
  ```
*/
{
  # Needs runCommand, writeText, writeShellScriptBin, and the default path of
  # services: coreutils, findutils, gnugrep, gnused, systemd.
  pkgs,
  config,
}:
let
  inherit (builtins)
    attrNames
    attrValues
    concatLists
    concatMap
    concatStringsSep
    elem
    filter
    isAttrs
    isBool
    isList
    isPath
    listToAttrs
    mapAttrs
    replaceStrings
    stringLength
    toJSON
    ;

  concatMapStrings = f: list: concatStringsSep "" (map f list);
  toList = v: if isList v then v else [ v ];
  flatten = v: if isList v then concatMap flatten v else [ v ];
  optionalAttrs = cond: set: if cond then set else { };
  optionalString = cond: s: if cond then s else "";
  getAttr' = path: default: set: if path == [ ] then set else if isAttrs set && set ? ${builtins.head path} then getAttr' (builtins.tail path) default set.${builtins.head path} else default;
  cfgOf = path: default: getAttr' path default config;

  # nixpkgs lib/attrsets.nix zipAttrsWith: the values of each name, in list order.
  zipAttrsWith =
    f: sets:
    let
      names = attrNames (builtins.foldl' (acc: s: acc // s) { } sets);
    in
    listToAttrs (map (name: { inherit name; value = f name (concatMap (s: if s ? ${name} then [ s.${name} ] else [ ]) sets); }) names);

  # nixpkgs lib/strings.nix makeBinPath / makeSearchPathOutput ("bin" "sbin").
  outputOf = output: p: if isAttrs p then p.${output} or p.out or p else p;
  makeBinPath = paths: concatStringsSep ":" (map (p: "${outputOf "bin" p}/bin") paths);
  makeSbinPath = paths: concatStringsSep ":" (map (p: "${outputOf "bin" p}/sbin") paths);

  # nixos/lib/systemd-lib.nix: toOption, attrsToSection.
  toOption = x: if x == true then "true" else if x == false then "false" else toString x;
  attrsToSection =
    as: concatStringsSep "" (concatMap (name: map (x: "${name}=${toOption x}\n") (toList as.${name})) (attrNames as));

  # nixos/lib/systemd-lib.nix makeUnit: a directory with the unit file under its own name (systemd
  # takes a link to a file of another name for an alias).
  makeUnit =
    name: text:
    pkgs.runCommand "unit-${replaceStrings [ "@" ":" "\\" "[" "]" ] [ "-" "-" "-" "" "" ] name}" { inherit text; passAsFile = [ "text" ]; } ''
      mkdir -p "$out"
      cp "$textPath" "$out/${name}"
    '';

  # nixos/lib/systemd-lib.nix makeJobScript (without strict shell checks): a script a unit runs.
  makeJobScript =
    name: text:
    let
      scriptName = replaceStrings [ "\\" "@" ] [ "-" "_" ] name;
    in
    "${pkgs.writeShellScriptBin scriptName ''
      set -e

      ${text}
    ''}/bin/${scriptName}";

  # nixos/lib/systemd-unit-options.nix serviceOptions' config: script, preStart → Exec lines.
  serviceScripts =
    name: def:
    optionalAttrs ((def.preStart or "") != "") { ExecStartPre = [ (makeJobScript "${name}-pre-start" def.preStart) ]; }
    // optionalAttrs ((def.script or "") != "") { ExecStart = makeJobScript "${name}-start" def.script + " " + (def.scriptArgs or ""); };

  # nixos/lib/systemd-lib.nix stage2ServiceConfig: the default path after a unit's own.
  defaultPath = [ pkgs.coreutils pkgs.findutils pkgs.gnugrep pkgs.gnused (cfgOf [ "systemd" "package" ] pkgs.systemd) ];

  # nixos/lib/systemd-lib.nix unitConfig: the [Unit] keys of the dependency options, the triggers, the description.
  unitSection =
    name: def:
    let
      listKey = key: option: optionalAttrs ((def.${option} or [ ]) != [ ]) { ${key} = toString def.${option}; };
      triggers =
        key: option:
        optionalAttrs ((def.${option} or [ ]) != [ ]) {
          ${key} = "${pkgs.writeText "${key}-${name}" (toString (map (x: if isPath x then "${x}" else x) (flatten def.${option})))}";
        };
    in
    listKey "Requires" "requires"
    // listKey "Wants" "wants"
    // listKey "Upholds" "upholds"
    // listKey "After" "after"
    // listKey "Before" "before"
    // listKey "BindsTo" "bindsTo"
    // listKey "PartOf" "partOf"
    // listKey "Conflicts" "conflicts"
    // listKey "Requisite" "requisite"
    // triggers "X-Restart-Triggers" "restartTriggers"
    // triggers "X-Reload-Triggers" "reloadTriggers"
    // optionalAttrs ((def.description or "") != "") { Description = def.description; }
    // optionalAttrs ((def.documentation or [ ]) != [ ]) { Documentation = toString def.documentation; }
    // optionalAttrs ((def.onFailure or [ ]) != [ ]) { OnFailure = toString def.onFailure; }
    // (def.unitConfig or { });

  # nixos/lib/systemd-lib.nix commonUnitText.
  commonUnitText =
    name: def: lines:
    ''
      [Unit]
      ${attrsToSection (unitSection name def)}
    ''
    + lines
    + optionalString ((def.wantedBy or [ ]) != [ ]) ''

      [Install]
      WantedBy=${concatStringsSep " " def.wantedBy}
    '';

  # nixos/lib/systemd-lib.nix serviceToUnit, with serviceConfig's PATH from `path`.
  serviceText =
    name: def:
    let
      path = (def.path or [ ]) ++ defaultPath;
      env = (cfgOf [ "systemd" "globalEnvironment" ] { }) // (def.environment or { }) // { PATH = "${makeBinPath path}:${makeSbinPath path}"; };
      environmentLine =
        n:
        let
          s = optionalString (env.${n} != null) "Environment=${toJSON "${n}=${env.${n}}"}\n";
        in
        if stringLength s >= 1048576 then throw "The value of the environment variable ${n} in systemd service ${name}.service is too long." else s;
    in
    commonUnitText name def (
      ''
        [Service]
      ''
      + concatMapStrings environmentLine (attrNames env)
      + (
        if def.reloadIfChanged or false then
          ''
            X-ReloadIfChanged=true
          ''
        else if !(def.restartIfChanged or true) then
          ''
            X-RestartIfChanged=false
          ''
        else
          ""
      )
      + optionalString (!(def.stopIfChanged or true)) ''
        X-StopIfChanged=false
      ''
      + attrsToSection ((def.serviceConfig or { }) // serviceScripts name def)
    );

  # nixos/lib/systemd-lib.nix pathToUnit.
  pathText =
    name: def:
    commonUnitText name def ''
      [Path]
      ${attrsToSection (def.pathConfig or { })}
    '';

  enabled = filter (u: u.def.enable or true);
  unitsOf =
    services: paths:
    enabled (
      map (name: { file = "${name}.service"; def = services.${name}; text = serviceText name services.${name}; }) (attrNames services)
      ++ map (name: { file = "${name}.path"; def = paths.${name}; text = pathText name paths.${name}; }) (attrNames paths)
    );

  # nixos/lib/systemd-lib.nix generateUnits: each unit's file, its .wants links, and the units of systemd.packages.
  installUnits =
    dir: units: packages:
    ''
      mkdir -p "$out/${dir}"
      for pkg in ${toString packages}; do
        for fn in "$pkg/${dir}"/* "$pkg/lib/systemd/${baseNameOf dir}"/*; do
          [ -e "$fn" ] || continue
          case "$fn" in *.wants) continue ;; esac
          if [ -d "$fn" ]; then
            mkdir -p "$out/${dir}/$(basename "$fn")"
            for f in "$fn"/*; do ln -s "$f" "$out/${dir}/$(basename "$fn")/"; done
          else
            ln -s "$fn" "$out/${dir}/"
          fi
        done
      done
    ''
    + concatMapStrings (u: ''
      ln -sfn ${makeUnit u.file u.text}/${u.file} "$out/${dir}/${u.file}"
      ${concatMapStrings (target: ''
        mkdir -p "$out/${dir}/${target}.wants"
        ln -sfn "../${u.file}" "$out/${dir}/${target}.wants/"
      '') (u.def.wantedBy or [ ])}
    '') units;

  # nixos/modules/system/boot/systemd/tmpfiles.nix: one rule per path and type, fields quoted.
  tmpfilesRules =
    paths:
    concatMapStrings (
      path:
      concatMapStrings (
        type:
        let
          e = { type = type; mode = "-"; user = "-"; group = "-"; age = "-"; argument = ""; } // paths.${path}.${type};
        in
        "'${e.type}' '${path}' '${e.mode}' '${e.user}' '${e.group}' '${e.age}' ${e.argument}\n"
      ) (attrNames paths.${path})
    ) (attrNames paths);
  tmpfiles = cfgOf [ "systemd" "tmpfiles" "settings" ] { };

  # nixos/modules/config/shells-environment.nix and system-environment.nix: the variables, and the profiles' directories.
  profiles = cfgOf [ "environment" "profiles" ] [ ];
  profileRelative = cfgOf [ "environment" "profileRelativeSessionVariables" ] { PATH = [ "/bin" ]; };
  suffixed = mapAttrs (_: suffixes: concatMap (profile: map (suffix: "${profile}${suffix}") suffixes) profiles) profileRelative;
  sessionVariables = cfgOf [ "environment" "sessionVariables" ] { };
  wrapperDir = cfgOf [ "security" "wrapperDir" ] "/run/wrappers/bin";

  # system-environment.nix: pam_env's file, with $HOME and $USER as PAM writes them.
  pamEnvironment =
    let
      replaceEnvVars = replaceStrings [ "$HOME" "$USER" ] [ "@{HOME}" "@{PAM_USER}" ];
      pamVariable = n: v: ''${n}   DEFAULT="${concatStringsSep ":" (map replaceEnvVars (toList v))}"'';
      zipped = zipAttrsWith (_: concatLists) [
        { PATH = [ wrapperDir ]; }
        (mapAttrs (_: toList) sessionVariables)
        suffixed
      ];
    in
    ''
      ${concatStringsSep "\n" (map (n: pamVariable n zipped.${n}) (attrNames zipped))}
    '';

  # shells-environment.nix: /etc/set-environment (environment.variables includes the session variables).
  setEnvironment =
    let
      variables = (cfgOf [ "environment" "variables" ] { }) // sessionVariables;
      all = zipAttrsWith (_: concatLists) [ (mapAttrs (_: toList) variables) suffixed ];
      export = n: v: ''export ${n}="${concatStringsSep ":" v}${optionalString (v != [ ] && suffixed ? ${n}) "\${${n}:+:}\$${n}"}"'';
    in
    ''
      # DO NOT EDIT -- this file has been generated automatically.

      # Prevent this file from being sourced by child shells.
      export __NIXOS_SET_ENVIRONMENT_DONE=1

      ${concatStringsSep "\n" (map (n: export n all.${n}) (attrNames all))}

      ${cfgOf [ "environment" "extraInit" ] ""}
    '';

  # nixos/modules/tasks/filesystems.nix: one fstab line per file system.
  fstab = concatMapStrings (
    mountPoint:
    let
      fs = config.fileSystems.${mountPoint};
    in
    "${fs.device} ${mountPoint} ${fs.fsType} ${concatStringsSep "," (fs.options or [ "defaults" ])} 0 0\n"
  ) (attrNames (cfgOf [ "fileSystems" ] { }));

  # nixos/modules/system/etc/etc.nix: each file as a link to its source.
  etc = filter (e: e.enable) (
    map (
      name:
      let
        e = config.environment.etc.${name};
      in
      {
        enable = e.enable or true;
        target = e.target or name;
        source = if (e.text or null) != null then pkgs.writeText (baseNameOf name) e.text else e.source;
      }
    ) (attrNames (cfgOf [ "environment" "etc" ] { }))
  );

  # nixos/modules/config/users-groups.nix: the accounts, as the test creates them.
  users = toJSON {
    users = mapAttrs (
      name: u:
      {
        isSystemUser = u.isSystemUser or false;
        isNormalUser = u.isNormalUser or false;
        group = if (u.group or "") == "" && (u.isNormalUser or false) then "users" else u.group or "";
        home = if (u.isNormalUser or false) && (u.home or "/var/empty") == "/var/empty" then "/home/${name}" else u.home or "/var/empty";
        uid = u.uid or null;
        extraGroups = u.extraGroups or [ ];
        description = u.description or "";
      }
    ) (cfgOf [ "users" "users" ] { });
    groups = mapAttrs (_: g: { gid = g.gid or null; members = g.members or [ ]; }) (cfgOf [ "users" "groups" ] { });
  };

  systemPackages = cfgOf [ "environment" "systemPackages" ] [ ];
in
pkgs.runCommand "nixos-host-system" { } (
  ''
    mkdir -p "$out/etc/tmpfiles.d" "$out/etc/pam" "$out/sw/bin"
  ''
  + installUnits "etc/systemd/system" (unitsOf (cfgOf [ "systemd" "services" ] { }) (cfgOf [ "systemd" "paths" ] { })) (
    cfgOf [ "systemd" "packages" ] [ ]
  )
  + installUnits "etc/systemd/user" (unitsOf (cfgOf [ "systemd" "user" "services" ] { }) { }) [ ]
  + concatMapStrings (name: ''
    cp ${pkgs.writeText "${name}.conf" (tmpfilesRules tmpfiles.${name})} "$out/etc/tmpfiles.d/${name}.conf"
  '') (attrNames tmpfiles)
  + ''
    cp ${pkgs.writeText "pam-environment" pamEnvironment} "$out/etc/pam/environment"
    cp ${pkgs.writeText "set-environment" setEnvironment} "$out/etc/set-environment"
    cp ${pkgs.writeText "fstab" fstab} "$out/etc/fstab"
    cp ${pkgs.writeText "users.json" users} "$out/users.json"
  ''
  + concatMapStrings (e: ''
    mkdir -p "$(dirname "$out/etc/${e.target}")"
    ln -s ${e.source} "$out/etc/${e.target}"
  '') etc
  + concatMapStrings (p: ''
    for f in ${p}/bin/*; do [ -e "$out/sw/bin/$(basename "$f")" ] || ln -s "$f" "$out/sw/bin/"; done
  '') systemPackages
)
