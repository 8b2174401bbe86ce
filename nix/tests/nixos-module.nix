/**
  Tests of the NixOS and home-manager modules themselves, evaluated with the
  real module system: the nixpkgs lib found as `<nixpkgs/lib>` (a user's own
  nixpkgs, or the lib alone), the option declarations of nixos-stubs.nix and
  home-manager-stubs.nix, and the example programs as the system's pkgs.
  Defaults, assertions, the rendered unit and config, and that only the named
  packages change. test/nixos/module.int.test.ts runs it (and skips it, saying
  why, where there is no `<nixpkgs/lib>`), and checks the messages of values
  the option types refuse.

  # Example

  ```sh
  nix-instantiate --eval --strict --json -I nixpkgs=/path/to/nixpkgs nix/tests/nixos-module.nix
  => {"failures":[],"total":…}
  ```
*/
let
  inherit (builtins) attrNames filter length sort tryEval;

  lib = import <nixpkgs/lib>;

  t = import ./nixos-eval.nix { inherit lib; };
  # As the module imports it: the spool is its defaultProfileDir.
  nix-pgo = import ../. { defaultProfileDir = "/var/spool/nix-pgo"; };
  plain = t.plainPkgs;

  nixos = modules: t.nixos modules;
  pkgsOf = evaluated: evaluated._module.args.pkgs;
  configOf = modules: (nixos modules).config;

  managed = modules: nixos ([ { services.nix-pgo.packages = [ "calc" ]; } ] ++ modules);

  entry = (builtins.fromJSON (builtins.readFile ./nixos-lock.json)).packages.calc;
  daemonProfile = import ../locked-profile.nix "calc" entry;

  derivationNames = pkgs: filter (n: (tryEval (pkgs.${n}.type or null == "derivation")).value or false) (attrNames pkgs);
  changed = pkgs: sort builtins.lessThan (filter (n: pkgs.${n}.drvPath != plain.${n}.drvPath) (derivationNames plain));

  hasInfix = infix: s: builtins.match ".*${infix}.*" s != null;
  anyInfix = infix: builtins.any (hasInfix infix);

  # The drop-in script of the spool access package (the test runCommand keeps it in args).
  spoolAccessScript = c: builtins.elemAt (builtins.head c.systemd.packages).args 1;

  cases = [
    {
      name = "off unless packages are named: no overlay, no service, no variables";
      expr =
        let
          e = nixos [ ];
        in
        [ e.config.services.nix-pgo.enable (e.config.systemd.services ? nix-pgo) e.config.nixpkgs.overlays e.config.environment.sessionVariables (changed (pkgsOf e)) ];
      expected = [ false false [ ] { } [ ] ];
    }
    {
      name = "one line turns it on, with its defaults";
      expr =
        let
          e = managed [ ];
          c = e.config;
          o = e.options.services.nix-pgo;
        in
        [
          c.services.nix-pgo.enable
          c.services.nix-pgo.thresholdMB
          c.services.nix-pgo.onReady
          o.lockFile.default
          c.services.nix-pgo.flake
          c.services.nix-pgo.flakeHost
          c.services.nix-pgo.spoolSize
          c.services.nix-pgo.desktopNotifications
          (t.failedAssertions e)
          c.warnings
          (length c.nixpkgs.overlays)
        ];
      expected = [ true 1 "switch" "/var/lib/nix-pgo-system/pgo-lock.json" null "nixos" "25%" false [ ] [ ] 1 ];
    }
    {
      name = "only the named packages and what depends on them change, to the profiling variant";
      expr =
        let
          p = pkgsOf (managed [ ]);
        in
        [ (changed p) (p.calc.drvPath == (nix-pgo.enable plain.calc).pgo.profile.drvPath) p.calc.pgoKind p.calc.name ];
      expected = [ [ "calc" "calcUser" ] true "profile" "calc-1.0" ];
    }
    {
      name = "with the profile locked the system gets the optimized variant the daemon builds";
      expr =
        let
          e = managed [ { services.nix-pgo.lockFile = ./nixos-lock.json; } ];
          p = pkgsOf e;
          # What the daemon builds: /etc/nix-pgo/system.nix of the system as
          # it was before the lock, with the profile it locked.
          daemon = import ../nixos/system.nix { evaluated = managed [ ]; pgoProfiles.calc = daemonProfile; };
        in
        [ (changed p) p.calc.pgoKind (p.calc.drvPath == daemon.calc.pgo.optimized.drvPath) ];
      expected = [ [ "calc" "calcUser" ] "optimized" true ];
    }
    {
      name = "the daemon's Nix file is in /etc and in the config, and gives the profiling variant the system uses";
      expr =
        let
          e = managed [ ];
          c = e.config;
          s = c.services.nix-pgo.finalSettings;
          # What the daemon evaluates: nix-build FILE -A calc.pgo.profile.
          daemon = import ../nixos/system.nix { evaluated = e; };
        in
        [
          ("${c.environment.etc."nix-pgo/system.nix".source}" == s.packages.calc.nixFile)
          s.packages.calc.attr
          (daemon.calc.pgo.profile.drvPath == (pkgsOf e).calc.drvPath)
          (hasInfix "import <nixpkgs/nixos>" (c.environment.etc."nix-pgo/system.nix".source.text))
        ];
      expected = [ true "calc" true true ];
    }
    {
      name = "with flakes the daemon evaluates the flake's configuration of this host, adding the flakes feature to the system's";
      expr =
        let
          c = configOf [ { services.nix-pgo = { packages = [ "calc" ]; flake = "/etc/nixos"; }; networking.hostName = "box"; nix.nixPath = [ ]; } ];
        in
        [
          (hasInfix ''\(builtins.getFlake "/etc/nixos"\).nixosConfigurations."box"'' c.environment.etc."nix-pgo/system.nix".source.text)
          c.systemd.services.nix-pgo.environment.NIX_CONFIG
          (c.systemd.services.nix-pgo.environment ? NIX_PATH)
          c.systemd.services.nix-pgo-activate.environment.NIX_CONFIG
        ];
      expected = [ true "extra-experimental-features = nix-command flakes" false "extra-experimental-features = nix-command flakes" ];
    }
    {
      name = "a flake given as itself (self) is evaluated from its store copy, which the daemon's user may read";
      expr =
        let
          self = { outPath = builtins.toFile "flake-source" "a flake"; _type = "flake"; };
          c = configOf [ { services.nix-pgo = { packages = [ "calc" ]; flake = self; }; networking.hostName = "box"; nix.nixPath = [ ]; } ];
        in
        [
          (hasInfix ''\(builtins.getFlake "${builtins.unsafeDiscardStringContext self.outPath}"\).nixosConfigurations."box"'' (builtins.unsafeDiscardStringContext c.environment.etc."nix-pgo/system.nix".source.text))
          (t.failedAssertions (nixos [ { services.nix-pgo = { packages = [ "calc" ]; flake = self; }; nix.nixPath = [ ]; } ]))
        ];
      expected = [ true [ ] ];
    }
    {
      name = "enabled with no packages: a warning that says so, and nothing else (no overlay, spool, variables or daemon)";
      expr =
        let
          e = nixos [ { services.nix-pgo.enable = true; } ];
          c = e.config;
        in
        [
          (builtins.length c.warnings)
          (hasInfix "services.nix-pgo.packages is empty" (builtins.head c.warnings))
          (c.systemd.services ? nix-pgo)
          c.nixpkgs.overlays
          c.environment.sessionVariables
          c.fileSystems
          (t.failedAssertions e)
        ];
      expected = [ 1 true false [ ] { } { } [ ] ];
    }
    {
      name = "root's activation: a oneshot without capabilities, started when the daemon's proposal changes";
      expr =
        let
          c = configOf [ { services.nix-pgo.packages = [ "calc" ]; } ];
          a = c.systemd.services.nix-pgo-activate;
          p = c.systemd.paths.nix-pgo-activate;
        in
        [
          a.serviceConfig.Type
          (a.serviceConfig ? User)
          a.serviceConfig.CapabilityBoundingSet
          a.serviceConfig.StateDirectory
          (hasInfix "/bin/nix-pgo activate-system --config /etc/nix-pgo/config.json --proposer nix-pgo --profile /var/lib/nix-pgo-system/profile --lock /var/lib/nix-pgo-system/pgo-lock.json$" a.serviceConfig.ExecStart)
          (hasInfix "nixos-config=" a.environment.NIX_PATH)
          p.pathConfig
          p.wantedBy
        ];
      expected = [
        "oneshot"
        false
        ""
        "nix-pgo-system"
        true
        true
        { PathChanged = [ "/var/lib/nix-pgo/pgo-lock.json" "/var/lib/nix-pgo/profile.variants.json" ]; Unit = "nix-pgo-activate.service"; }
        [ "multi-user.target" ]
      ];
    }
    {
      name = "the rendered config: typed options inside, root and normal users trusted, settings win";
      expr =
        let
          s =
            (configOf [
              {
                services.nix-pgo = {
                  packages = [ "calc" "wordfreq" ];
                  thresholdMB = 0.5;
                  onReady = "notify";
                  settings = { policy.minRuns = 3; packages.wordfreq.policy.thresholdMB = 4; };
                };
                users.users.alice = { isNormalUser = true; group = "users"; };
                users.users.postgres = { isSystemUser = true; group = "postgres"; };
              }
            ]).services.nix-pgo.finalSettings;
        in
        [ s.version s.stateDir s.spoolDir s.nixProfile s.policy s.trustedUsers (removeAttrs s.packages.wordfreq [ "nixFile" ]) (s ? notify) ];
      expected = [
        1
        "/var/lib/nix-pgo"
        "/var/spool/nix-pgo"
        "/var/lib/nix-pgo/profile"
        { thresholdMB = 0.5; onReady = "notify"; minRuns = 3; }
        [ "root" "alice" ]
        { attr = "wordfreq"; policy.thresholdMB = 4; }
        false
      ];
    }
    {
      name = "a hook of the user's runs after the module's own, which shows desktop notifications";
      expr =
        let
          c = configOf [ { services.nix-pgo = { packages = [ "calc" ]; desktopNotifications = true; settings.notify.hook = "/run/current-system/sw/bin/my-hook"; }; } ];
          hook = c.services.nix-pgo.finalSettings.notify.hook;
        in
        [
          (hook != "/run/current-system/sw/bin/my-hook")
          (hasInfix "-nix-pgo-hook$" hook)
          (c.systemd.user.services ? nix-pgo-notify)
          c.systemd.user.services.nix-pgo-notify.wantedBy
        ];
      expected = [ true true true [ "graphical-session.target" ] ];
    }
    {
      name = "every user and service gets the one variable (in units with any % doubled, as systemd expands specifiers); no shell code; the daemon none";
      expr =
        let
          c = configOf [ { services.nix-pgo.packages = [ "calc" ]; } ];
          percent = configOf [ { services.nix-pgo = { packages = [ "calc" ]; settings.spoolDir = "/var/spool/pgo%a"; }; } ];
        in
        [
          c.systemd.globalEnvironment
          (removeAttrs c.environment.sessionVariables [ "NIX_PGO_CONFIG" ])
          c.environment.sessionVariables.NIX_PGO_CONFIG
          (hasInfix "GCOV_PREFIX" c.environment.extraInit)
          (builtins.intersectAttrs c.systemd.globalEnvironment c.systemd.services.nix-pgo.environment)
          c.environment.profiles
          percent.systemd.globalEnvironment.NIX_PGO_SPOOL
          percent.environment.sessionVariables.NIX_PGO_SPOOL
        ];
      expected = [
        { NIX_PGO_SPOOL = "/var/spool/nix-pgo"; }
        { NIX_PGO_SPOOL = "/var/spool/nix-pgo"; }
        "/etc/nix-pgo/config.json"
        false
        { NIX_PGO_SPOOL = null; }
        [ "/var/lib/nix-pgo-system/profile" ]
        "/var/spool/pgo%%a"
        "/var/spool/pgo%a"
      ];
    }
    {
      name = "root's profile of the optimized variants comes before the other profiles; the daemon's own is on nobody's PATH";
      expr =
        (configOf [
          { services.nix-pgo.packages = [ "calc" ]; }
          { environment.profiles = lib.mkAfter [ "/run/current-system/sw" ]; }
          { environment.profiles = [ "$HOME/.nix-profile" "/etc/profiles/per-user/$USER" ]; }
        ]).environment.profiles;
      expected = [ "/var/lib/nix-pgo-system/profile" "$HOME/.nix-profile" "/etc/profiles/per-user/$USER" "/run/current-system/sw" ];
    }
    {
      name = "the spool: tmpfiles rules, a bounded tmpfs, the daemon's user and group";
      expr =
        let
          c = configOf [ { services.nix-pgo.packages = [ "calc" ]; } ];
          null' = configOf [ { services.nix-pgo = { packages = [ "calc" ]; spoolSize = null; }; } ];
        in
        [
          (attrNames c.systemd.tmpfiles.settings."10-nix-pgo")
          c.systemd.tmpfiles.settings."10-nix-pgo"."/var/spool/nix-pgo/llvm".d.mode
          c.systemd.tmpfiles.settings."10-nix-pgo"."/var/spool/nix-pgo/llvm"."a+".argument
          c.fileSystems."/var/spool/nix-pgo"
          (null'.fileSystems ? "/var/spool/nix-pgo")
          { inherit (c.users.users.nix-pgo) isSystemUser group home; }
          (c.users.groups ? nix-pgo)
        ];
      expected = [
        [ "/var/spool/nix-pgo" "/var/spool/nix-pgo/bolt" "/var/spool/nix-pgo/gcda" "/var/spool/nix-pgo/llvm" ]
        "1733"
        "default:user::rwx,default:group::---,default:other::---,default:user:nix-pgo:rwx,default:mask::rwx"
        { device = "tmpfs"; fsType = "tmpfs"; options = [ "size=25%" "mode=0755" "nosuid" "nodev" "noexec" ]; }
        false
        { isSystemUser = true; group = "nix-pgo"; home = "/var/lib/nix-pgo"; }
        true
      ];
    }
    {
      name = "the unit: its own user, the config in /etc, state and cache directories, reloads on a new config";
      expr =
        let
          c = configOf [ { services.nix-pgo.packages = [ "calc" ]; } ];
          u = c.systemd.services.nix-pgo;
        in
        [
          u.wantedBy
          u.serviceConfig.User
          (hasInfix "/bin/nix-pgo daemon --config /etc/nix-pgo/config.json$" u.serviceConfig.ExecStart)
          (hasInfix "kill -HUP \\$MAINPID" u.serviceConfig.ExecReload)
          (map (hasInfix "^\\+") u.serviceConfig.ExecStartPre)
          (hasInfix "systemd-tmpfiles --create --prefix=/var/spool/nix-pgo" (builtins.head u.serviceConfig.ExecStartPre))
          u.serviceConfig.StateDirectory
          u.serviceConfig.Restart
          u.environment.NIX_REMOTE
          (hasInfix "nixos-config=" u.environment.NIX_PATH)
          (u.reloadTriggers == [ c.environment.etc."nix-pgo/config.json".source ])
          (u.serviceConfig ? MemoryDenyWriteExecute)
        ];
      expected = [ [ "multi-user.target" ] "nix-pgo" true true [ true true ] true "nix-pgo" "on-failure" "daemon" true true false ];
    }
    {
      name = "sandboxed services get the spool writable; others and the daemon are left alone";
      expr =
        let
          c = configOf [
            {
              services.nix-pgo.packages = [ "calc" ];
              systemd.services.strict.serviceConfig.ProtectSystem = "strict";
              systemd.services.dynamic.serviceConfig.DynamicUser = true;
              systemd.services.plain.serviceConfig.ExecStart = "/bin/true";
            }
          ];
          script = spoolAccessScript c;
        in
        map (n: hasInfix "${n}.service.d" script) [ "strict" "dynamic" "plain" "nix-pgo" ]
        ++ [ (hasInfix "ReadWritePaths=-/var/spool/nix-pgo" script) ];
      expected = [ true true false false true ];
    }
    {
      name = "a library can be replaced in the closure instead of rebuilding its dependents";
      expr =
        let
          e = managed [ { services.nix-pgo.replaceDependencies = [ "calc" ]; } ];
          r = e.config.system.replaceDependencies.replacements;
        in
        [
          (changed (pkgsOf e))
          (length r)
          ((builtins.head r).oldDependency.drvPath == plain.calc.drvPath)
          ((builtins.head r).newDependency.drvPath == (nix-pgo.enable plain.calc).pgo.profile.drvPath)
        ];
      expected = [ [ ] 1 true true ];
    }
    {
      name = "BOLT in enableWith: the daemon's config asks for the BOLT stage; the module, not the user, selects the BOLT profile";
      expr =
        let
          tools = { llvmBolt = "/x/llvm-bolt"; mergeFdata = "/x/merge-fdata"; };
          on = (managed [ { services.nix-pgo.enableWith.calc = { bolt = true; boltTools = tools; }; } ]).config.services.nix-pgo.finalSettings;
          off = (managed [ ]).config.services.nix-pgo.finalSettings;
          selected = t.failedAssertions (managed [ { services.nix-pgo.enableWith.calc = { bolt = true; boltTools = tools; boltProfile = ./nixos-lock.json; }; } ]);
        in
        [ (on.packages.calc.bolt or null) (off.packages.calc ? bolt) (anyInfix "services.nix-pgo.enableWith.calc.boltProfile: the module selects the profile" selected) ];
      expected = [ true false true ];
    }
    {
      name = "assertions name the option and the fix";
      expr =
        let
          e = nixos [
            {
              services.nix-pgo = {
                packages = [ "calcc" "aSet" "script" "noCompiler" "removed" "calc" "rustTool" "wrapper" "wordfreq" ];
                replaceDependencies = [ "zlib" ];
                enableWith.calc.profile = ./nixos-lock.json;
                enableWith.wordfreq.collection = "continuous";
                settings.stateDir = "/srv/pgo";
              };
              nix.nixPath = [ ];
            }
          ];
          messages = t.failedAssertions e;
        in
        map (infix: anyInfix infix messages) [
          ''services.nix-pgo.packages: pkgs has no package named "calcc" \(did you mean "calc".*\)''
          "services.nix-pgo.packages: pkgs.aSet is not a package"
          "services.nix-pgo.packages: pkgs.script has no overrideAttrs"
          "services.nix-pgo.packages: pkgs.noCompiler is not built with clang or GCC"
          "services.nix-pgo.packages: evaluating pkgs.removed fails"
          ''services.nix-pgo.replaceDependencies: "zlib" is not in services.nix-pgo.packages''
          "services.nix-pgo.enableWith.calc.profile: the module selects the profile"
          "services.nix-pgo.settings: stateDir must stay /var/lib/nix-pgo"
          "set services.nix-pgo.flake = self"
          "services.nix-pgo.packages: pkgs.rustTool compiles no C/C\\+\\+ of its own \\(Rust\\)"
          "services.nix-pgo.packages: pkgs.wrapper compiles no C/C\\+\\+ of its own \\(no source: a wrapper or a script\\)"
          ''services.nix-pgo.enableWith.wordfreq.collection: pkgs.wordfreq is built with GCC, and collection = "continuous" needs clang''
        ]
        ++ [ (length messages) ];
      expected = [ true true true true true true true true true true true true 12 ];
    }
    {
      name = "home-manager: a user service, the per-user spool and profile first on PATH, the same options";
      expr =
        let
          e = t.homeManager [ { services.nix-pgo = { packages = [ "calc" ]; lockFile = ./nixos-lock.json; thresholdMB = 2; }; } ];
          c = e.config;
          s = c.services.nix-pgo.finalSettings;
        in
        [
          (t.failedAssertions e)
          (changed (pkgsOf e))
          (pkgsOf e).calc.pgoKind
          s.spoolDir
          s.nixProfile
          s.policy
          (s ? trustedUsers)
          c.home.sessionVariables.NIX_PGO_SPOOL
          c.systemd.user.sessionVariables
          (hasInfix ''export PATH="/home/alice/.local/state/nix-pgo/profile/bin'' c.home.sessionVariablesExtra)
          (hasInfix "/bin/nix-pgo daemon --config /home/alice/.config/nix-pgo/config.json$" (builtins.head c.systemd.user.services.nix-pgo.Service.ExecStart))
          c.systemd.user.services.nix-pgo.Install.WantedBy
          (c.xdg.configFile ? "nix-pgo/config.json")
          (hasInfix "import <home-manager/modules>" c.xdg.configFile."nix-pgo/system.nix".source.text)
        ];
      expected = [
        [ ]
        [ "calc" "calcUser" ]
        "optimized"
        "/home/alice/.local/state/nix-pgo/spool"
        "/home/alice/.local/state/nix-pgo/profile"
        { thresholdMB = 2; onReady = "switch"; }
        false
        "/home/alice/.local/state/nix-pgo/spool"
        { NIX_PGO_SPOOL = "/home/alice/.local/state/nix-pgo/spool"; }
        true
        true
        [ "default.target" ]
        true
        true
      ];
    }
    {
      name = "home-manager with a flake: NIX_CONFIG quoted for systemd (home-manager writes values as they are), adding the flakes feature";
      expr =
        (t.homeManager [ { services.nix-pgo = { packages = [ "calc" ]; flake = "/home/alice/config"; }; } ]).config.systemd.user.services.nix-pgo.Service.Environment;
      expected = [ ''"NIX_CONFIG=extra-experimental-features = nix-command flakes"'' ];
    }
    {
      name = "home-manager: the daemon's Nix file gives what the overlay substitutes";
      expr =
        let
          e = t.homeManager [ { services.nix-pgo.packages = [ "calc" ]; } ];
          daemon = import ../nixos/system.nix { evaluated = e; pgoProfiles.calc = daemonProfile; };
          lockedP = pkgsOf (t.homeManager [ { services.nix-pgo = { packages = [ "calc" ]; lockFile = ./nixos-lock.json; }; } ]);
        in
        [ (daemon.calc.pgo.profile.drvPath == (pkgsOf e).calc.drvPath) (daemon.calc.pgo.optimized.drvPath == lockedP.calc.drvPath) ];
      expected = [ true true ];
    }
    {
      name = "fleet: the config's fleet section (settings merged over it), the cache a substituter, the aggregator's key trusted";
      expr =
        let
          member = {
            role = "member";
            cache = "http://cache:8080";
            secretKeyFile = "/var/lib/nix-pgo/fleet.sec";
            aggregatorKey = "agg:oQO4wckxmAq0Fv8VS0Ed7jhGIcUxObnLzaCjrBM1sTo=";
          };
          m = (managed [ { services.nix-pgo.fleet = member; services.nix-pgo.settings.fleet.intervalSeconds = 60; } ]).config;
          agg = (managed [
            {
              services.nix-pgo.fleet = {
                role = "aggregator";
                cache = "file:///srv/nix-cache";
                secretKeyFile = "/var/lib/nix-pgo/fleet.sec";
                machineKeys = [ "/etc/nix-pgo/machines/m1.pub" ];
                profilingDuty = 0.25;
              };
            }
          ]).config;
          none = (managed [ ]).config;
        in
        [
          m.services.nix-pgo.finalSettings.fleet
          m.nix.settings
          agg.services.nix-pgo.finalSettings.fleet
          agg.nix.settings
          (none.services.nix-pgo.finalSettings ? fleet)
          none.nix.settings
        ];
      expected = [
        {
          role = "member";
          cache = "http://cache:8080";
          secretKeyFile = "/var/lib/nix-pgo/fleet.sec";
          aggregatorKey = "agg:oQO4wckxmAq0Fv8VS0Ed7jhGIcUxObnLzaCjrBM1sTo=";
          intervalSeconds = 60;
        }
        { substituters = [ "http://cache:8080" ]; trusted-public-keys = [ "agg:oQO4wckxmAq0Fv8VS0Ed7jhGIcUxObnLzaCjrBM1sTo=" ]; }
        {
          role = "aggregator";
          cache = "file:///srv/nix-cache";
          secretKeyFile = "/var/lib/nix-pgo/fleet.sec";
          machineKeys = [ "/etc/nix-pgo/machines/m1.pub" ];
          profilingDuty = 0.25;
        }
        { substituters = [ "file:///srv/nix-cache" ]; trusted-public-keys = [ ]; }
        false
        { }
      ];
    }
  ];

  failures = filter (c: c.expr != c.expected) cases;
in
{
  total = length cases;
  failures = map (c: { inherit (c) name expr expected; }) failures;
}
