/**
  Nix-level unit tests of the plain functions behind the NixOS and
  home-manager modules (nix/nixos/): which variant a name resolves to for a
  given lock, what the daemon's Nix file gives, the rendered config, the
  environment, the spool's tmpfiles rules and the unit. Builtins only (no
  <nixpkgs>), with the example package set as the system's packages; nothing
  is built.

  # Example

  ```sh
  nix-instantiate --eval --strict --json nix/tests/nixos.nix
  => {"failures":[],"total":…}
  ```
*/
let
  inherit (builtins) attrNames elem filter length listToAttrs sort tryEval;

  nix-pgo = import ../. { };
  overlayOf = import ../nixos/overlay.nix;
  readLock = import ../nixos/read-lock.nix;
  renderConfig = import ../nixos/config.nix;
  environment = import ../nixos/environment.nix;
  spoolOf = import ../nixos/spool.nix;
  unitOf = import ../nixos/unit.nix;
  systemFiles = import ../nixos/system-file.nix;
  notify = import ../nixos/notify.nix;

  fix = f: let x = f x; in x;
  extends = overlay: f: final: let prev = f final; in prev // overlay final prev;

  base = import ./nixos-pkgs.nix { };
  plain = fix base;

  /** The package set with the module's overlay for `args`. */
  systemWith = args: fix (extends (overlayOf ({ inherit nix-pgo; } // args)) base);

  fails = expr: !(tryEval expr).success;
  hasInfix = infix: s: builtins.match ".*${infix}.*" s != null;

  # A lock entry as the daemon writes it (the path need not exist to evaluate).
  entry = (builtins.fromJSON (builtins.readFile ./nixos-lock.json)).packages.calc;
  # What the daemon passes: nix/locked-profile.nix of the entry (src/variants/plan-build.ts).
  daemonProfile = import ../locked-profile.nix "calc" entry;

  locked = systemWith { packages = [ "calc" ]; lock.calc = entry; };

  # BOLT: the options that turn it on, and a BOLT lock entry as the daemon writes one.
  boltOptions.calc = { bolt = true; boltTools = { llvmBolt = "/x/llvm-bolt"; mergeFdata = "/x/merge-fdata"; }; };
  boltEntry = { storePath = "/nix/store/00000000000000000000000000000000-bolt-calc-fdata"; hashMode = "recursive"; hash = "sha256:0000000000000000000000000000000000000000000000000000"; };
  daemonBoltProfile = import ../locked-profile.nix "calc" boltEntry;
  bolted = systemWith { packages = [ "calc" ]; lock.calc = entry; boltLock.calc = boltEntry; options = boltOptions; };
  unlocked = systemWith { packages = [ "calc" ]; };

  /** The daemon's Nix file (system.nix) for a system, with the profiles it passes. */
  daemonFile = system: pgoProfiles: import ../nixos/system.nix { evaluated = { pkgs = system; }; inherit pgoProfiles; };
  daemonBoltFile = system: pgoProfiles: boltProfiles: import ../nixos/system.nix { evaluated = { pkgs = system; }; inherit pgoProfiles boltProfiles; };

  derivationNames = pkgs: filter (n: (tryEval (pkgs.${n}.type or null == "derivation")).value or false) (attrNames pkgs);
  changed = pkgs: sort builtins.lessThan (filter (n: pkgs.${n}.drvPath != plain.${n}.drvPath) (derivationNames plain));

  spool = spoolOf { spoolDir = "/var/spool/nix-pgo"; user = "nix-pgo"; group = "nix-pgo"; };
  unit = unitOf {
    package = "/nix/store/p-nix-pgo";
    configFile = "/etc/nix-pgo/config.json";
    configSource = "/nix/store/c-config.json";
    user = "nix-pgo";
    group = "nix-pgo";
    spoolDir = "/var/spool/nix-pgo";
    nixPath = [ "nixos-config=/etc/nixos/configuration.nix" ];
    unset = (environment { spoolDir = "/s"; }).names;
    preStart = [ "/x/prepare" ];
  };

  cases = [
    {
      name = "before a lock a managed name resolves to the profiling variant of the package as declared";
      expr = [
        (unlocked.calc.drvPath == (nix-pgo.enable plain.calc).pgo.profile.drvPath)
        unlocked.calc.pgoKind
        unlocked.nixPgo.variantKinds.calc
        [ unlocked.calc.name unlocked.calc.pname unlocked.calc.version ]
      ];
      expected = [ true "profile" "profile" [ plain.calc.name plain.calc.pname plain.calc.version ] ];
    }
    {
      name = "once its profile is locked it resolves to the optimized variant built with that profile";
      expr = [
        (locked.calc.drvPath == ((nix-pgo.enableWith { } plain.calc).pgo.optimize daemonProfile).drvPath)
        locked.calc.pgoKind
        locked.nixPgo.variantKinds.calc
        locked.calc.pgoProfile
        [ locked.calc.name locked.calc.pname locked.calc.version ]
      ];
      expected = [ true "optimized" "optimized" entry.storePath [ plain.calc.name plain.calc.pname plain.calc.version ] ];
    }
    {
      name = "only the named packages and what depends on them change";
      expr = [
        (changed (systemWith { packages = [ ]; }))
        (changed unlocked)
        (changed (systemWith { packages = [ "wordfreq" "minivm" ]; }))
      ];
      expected = [ [ ] [ "calc" "calcUser" ] [ "minivm" "wordfreq" ] ];
    }
    {
      name = "a package that depends on a managed one is built with its variant";
      expr = [ (unlocked.calcUser.calc.drvPath == unlocked.calc.drvPath) (locked.calcUser.calc.drvPath == locked.calc.drvPath) ];
      expected = [ true true ];
    }
    {
      name = "the daemon's Nix file gives the very derivations the overlay substitutes";
      expr = [
        ((daemonFile unlocked { }).calc.pgo.profile.drvPath == unlocked.calc.drvPath)
        # Built from the current system before the lock exists, it is what the
        # next rebuild, with the lock, uses: same .drv.
        ((daemonFile unlocked { calc = daemonProfile; }).calc.pgo.optimized.drvPath == locked.calc.drvPath)
        ((daemonFile locked { calc = daemonProfile; }).calc.pgo.optimized.drvPath == locked.calc.drvPath)
        (fails (daemonFile unlocked { }).calc.pgo.optimized.drvPath)
        (fails (daemonFile plain { }).calc)
      ];
      expected = [ true true true true true ];
    }
    {
      name = "with BOLT on and both profiles locked, a name resolves to the BOLT-optimized variant the daemon builds";
      expr = [
        bolted.nixPgo.variantKinds.calc
        # BOLT's profile in the lock without BOLT in the options (turned off since): the optimized variant.
        (systemWith { packages = [ "calc" ]; lock.calc = entry; boltLock.calc = boltEntry; }).nixPgo.variantKinds.calc
        ((daemonBoltFile bolted { calc = daemonProfile; } { calc = daemonBoltProfile; }).calc.pgo.boltOptimized.drvPath == bolted.calc.drvPath)
        # The BOLT-instrumented variant is built on exactly the optimized variant the system had before.
        ((daemonBoltFile bolted { calc = daemonProfile; } { }).calc.pgo.optimized.drvPath
          == (systemWith { packages = [ "calc" ]; lock.calc = entry; options = boltOptions; }).calc.drvPath)
        (fails (daemonBoltFile bolted { calc = daemonProfile; } { }).calc.pgo.boltOptimized.drvPath)
      ];
      expected = [ "bolt-optimized" "optimized" true true true ];
    }
    {
      name = "a name the package set does not have, or that is no C/C++ package, is a problem, not an evaluation error";
      expr =
        let
          s = systemWith {
            packages = [ "calcc" "aSet" "script" "noCompiler" "removed" "calc" "rustTool" "wrapper" "wordfreq" ];
            options.wordfreq.collection = "continuous";
          };
        in
        [
          (builtins.mapAttrs (_: p: p.kind) s.nixPgo.problems)
          (s ? calcc)
          (s.noCompiler.drvPath == plain.noCompiler.drvPath)
          (s.script.drvPath == plain.script.drvPath)
          (s.rustTool.drvPath == plain.rustTool.drvPath)
          (s.wordfreq.drvPath == plain.wordfreq.drvPath)
          s.calc.pgoKind
        ];
      expected = [
        {
          calcc = "missing";
          aSet = "not-a-package";
          script = "no-overrideAttrs";
          noCompiler = "no-compiler";
          removed = "fails";
          rustTool = "not-compiled";
          wrapper = "not-compiled";
          wordfreq = "continuous-gcc";
        }
        false
        true
        true
        true
        true
        "profile"
      ];
    }
    {
      name = "each problem's message names the option and the fix, with the closest names for a typo";
      expr =
        let
          message = import ../nixos/problems.nix { names = [ "emacs" "emacs-nox" "hello" ]; close = a: b: builtins.substring 0 2 a == builtins.substring 0 2 b; };
        in
        [ (message "Emcas" { kind = "missing"; }) (message "jdk" { kind = "unsupported-compiler"; compiler = "javac"; }) ];
      expected = [
        ''services.nix-pgo.packages: pkgs has no package named "Emcas" (did you mean "emacs", "emacs-nox"?); correct the name or remove it from services.nix-pgo.packages''
        ''services.nix-pgo.packages: pkgs.jdk is built with javac, not clang or GCC; remove "jdk" from services.nix-pgo.packages''
      ];
    }
    {
      name = "names given to system.replaceDependencies are not substituted, but have their variants";
      expr =
        let
          s = systemWith { packages = [ "calc" ]; replace = [ "calc" ]; lock.calc = entry; };
        in
        [ (s.calc.drvPath == plain.calc.drvPath) (s.nixPgo.variants.calc.drvPath == locked.calc.drvPath) (changed s) ];
      expected = [ true true [ ] ];
    }
    {
      name = "options for enableWith reach the variants";
      expr =
        let
          s = systemWith { packages = [ "ticker" ]; options.ticker.collection = "continuous"; };
        in
        [ s.ticker.pgoCollection (s.nixPgo.packages.ticker.pgo.profile.drvPath == s.ticker.drvPath) ];
      expected = [ "continuous" true ];
    }
    {
      name = "lock entries of names not managed change nothing";
      expr = changed (systemWith { packages = [ "wordfreq" ]; lock.calc = entry; });
      expected = [ "wordfreq" ];
    }
    {
      name = "a pure evaluation (flakes, no builtins.currentSystem) makes the same locked profile as the daemon";
      expr = [
        ((import ../nixos/locked-profile.nix { system = builtins.currentSystem; pure = true; }) "calc" entry).drvPath
        (fails ((import ../nixos/locked-profile.nix { pure = true; }) "calc" entry).drvPath)
      ];
      expected = [ daemonProfile.drvPath true ];
    }
    {
      name = "the lock file: none, absent, a path, and the daemon's own in a pure evaluation";
      expr = [
        (readLock { lockFile = null; })
        (readLock { lockFile = "/nonexistent/pgo-lock.json"; pure = false; })
        (readLock { lockFile = ./nixos-lock.json; }).entries.calc
        (readLock { lockFile = "/var/lib/nix-pgo/pgo-lock.json"; pure = true; }).entries
        (hasInfix "set services.nix-pgo.lockFile = ./pgo-lock.json" (readLock { lockFile = "/var/lib/nix-pgo/pgo-lock.json"; pure = true; }).warning)
        (fails (readLock { lockFile = ./nixos-lock-v2.json; }).entries)
        # An entry whose values are not what nix-pgo writes (a quote in its store path, Nix in its hash) stops the evaluation.
        (fails (readLock { lockFile = ./nixos-lock-malformed.json; }).entries)
      ];
      expected = [
        { entries = { }; boltEntries = { }; warning = null; }
        { entries = { }; boltEntries = { }; warning = null; }
        entry
        { }
        true
        true
        true
      ];
    }
    {
      name = "the rendered config: the options are defaults inside it, settings win key by key";
      expr = renderConfig {
        names = [ "calc" ];
        nixFile = "/nix/store/s-system.nix";
        stateDir = "/var/lib/nix-pgo";
        spoolDir = "/var/spool/nix-pgo";
        nixProfile = "/var/lib/nix-pgo/profile";
        thresholdMB = 2;
        onReady = "notify";
        trustedUsers = [ "root" "alice" ];
        hook = "/nix/store/h-hook";
        boltNames = [ "calc" ];
        settings = { policy.minRuns = 3; trustedUsers = "*"; packages.calc.policy.thresholdMB = 5; };
      };
      expected = {
        version = 1;
        stateDir = "/var/lib/nix-pgo";
        spoolDir = "/var/spool/nix-pgo";
        nixProfile = "/var/lib/nix-pgo/profile";
        trustedUsers = "*";
        policy = { thresholdMB = 2; onReady = "notify"; minRuns = 3; };
        notify.hook = "/nix/store/h-hook";
        packages.calc = { nixFile = "/nix/store/s-system.nix"; attr = "calc"; bolt = true; policy.thresholdMB = 5; };
      };
    }
    {
      name = "one variable, the same for everybody and without %; the daemon unsets every profile variable";
      expr =
        let
          e = environment { spoolDir = "/var/spool/nix-pgo"; };
        in
        [ e.variables e.names ];
      expected = [
        { NIX_PGO_SPOOL = "/var/spool/nix-pgo"; }
        [ "NIX_PGO_SPOOL" "LLVM_PROFILE_FILE" "GCOV_PREFIX" "GCOV_PREFIX_STRIP" "NIX_PGO_GCDA_ROOT" ]
      ];
    }
    {
      name = "the spool's tmpfiles rules: sticky write-only directories with a default ACL for owner and daemon, rwx for the users' directories";
      expr = spool.rules;
      expected = [
        "'d' '/var/spool/nix-pgo' '0755' 'nix-pgo' 'nix-pgo' '-' "
        "'a+' '/var/spool/nix-pgo/bolt' '-' '-' '-' '-' default:user::rwx,default:group::---,default:other::---,default:user:nix-pgo:rwx,default:mask::rwx"
        "'d' '/var/spool/nix-pgo/bolt' '1733' 'nix-pgo' 'nix-pgo' '-' "
        "'a+' '/var/spool/nix-pgo/gcda' '-' '-' '-' '-' default:user::rwx,default:group::---,default:other::---,default:user:nix-pgo:rwx,default:mask::rwx"
        "'d' '/var/spool/nix-pgo/gcda' '1733' 'nix-pgo' 'nix-pgo' '-' "
        "'a+' '/var/spool/nix-pgo/llvm' '-' '-' '-' '-' default:user::rwx,default:group::---,default:other::---,default:user:nix-pgo:rwx,default:mask::rwx"
        "'d' '/var/spool/nix-pgo/llvm' '1733' 'nix-pgo' 'nix-pgo' '-' "
      ];
    }
    {
      name = "the users' directories script covers every format, skips unknown users and replaces what someone else made";
      expr =
        let
          s = spool.prepareScript { users = [ "root" "alice" ]; };
        in
        map (infix: hasInfix infix s) [
          "for user in root alice; do"
          "for format in llvm gcda bolt; do"
          "dir=\"/var/spool/nix-pgo/\\$format/\\$uid\""
          "|| continue"
          "rm -rf --one-file-system"
          "chown -- \"\\$uid:\\$gid\""
        ];
      expected = [ true true true true true true ];
    }
    {
      name = "the unit: its own user, the config, reload on SIGHUP, no profile variables, a strict sandbox Node survives";
      expr = [
        unit.serviceConfig.User
        unit.serviceConfig.ExecStart
        unit.serviceConfig.ExecReload
        unit.serviceConfig.ExecStartPre
        unit.serviceConfig.StateDirectory
        unit.serviceConfig.ProtectSystem
        unit.serviceConfig.ReadWritePaths
        (unit.serviceConfig ? MemoryDenyWriteExecute)
        (unit.serviceConfig ? PrivateUsers)
        (unit.serviceConfig ? DynamicUser)
        unit.serviceConfig.UnsetEnvironment
        (builtins.intersectAttrs { NIX_PGO_SPOOL = 0; LLVM_PROFILE_FILE = 0; GCOV_PREFIX = 0; NIX_REMOTE = 0; NIX_PATH = 0; } unit.environment)
        unit.reloadTriggers
      ];
      expected = [
        "nix-pgo"
        "/nix/store/p-nix-pgo/bin/nix-pgo daemon --config /etc/nix-pgo/config.json"
        "kill -HUP $MAINPID"
        [ "+/x/prepare" ]
        "nix-pgo"
        "strict"
        [ "/var/spool/nix-pgo" ]
        false
        false
        false
        [ "NIX_PGO_SPOOL" "LLVM_PROFILE_FILE" "GCOV_PREFIX" "GCOV_PREFIX_STRIP" "NIX_PGO_GCDA_ROOT" ]
        { NIX_PGO_SPOOL = null; LLVM_PROFILE_FILE = null; GCOV_PREFIX = null; NIX_REMOTE = "daemon"; NIX_PATH = "nixos-config=/etc/nixos/configuration.nix"; }
        [ "/nix/store/c-config.json" ]
      ];
    }
    {
      name = "the daemon's Nix file finds the system as nixos-rebuild does, or in the flake";
      expr = [
        (systemFiles.nixos { })
        (systemFiles.nixos { flake = "/etc/nixos"; host = "my-host"; })
        (systemFiles.homeManager { flake = "git+file:///home/a/c"; user = "a"; })
        (systemFiles.quote "a\"\${b}")
        (hasInfix "evaluated = import <nixpkgs/nixos> \\{ };" (systemFiles.text { evaluated = systemFiles.nixos { }; how = "x"; }))
        (hasInfix "\\{ pgoProfiles \\? \\{ }, boltProfiles \\? \\{ } }:" (systemFiles.text { evaluated = "x"; how = "x"; }))
      ];
      expected = [
        "import <nixpkgs/nixos> { }"
        ''(builtins.getFlake "/etc/nixos").nixosConfigurations."my-host"''
        ''(builtins.getFlake "git+file:///home/a/c").homeConfigurations."a"''
        "\"a\\\"\\\${b}\""
        true
        true
      ];
    }
    {
      name = "the hook writes desktop events where the NixOS relay reads them, and passes every event on";
      expr =
        let
          nixos = notify.hookScript { jq = "jq"; events = "/run/nix-pgo/events.jsonl"; forward = "/u/hook"; };
          hm = notify.hookScript { jq = "jq"; notifySend = "notify-send"; };
        in
        [ (hasInfix ">>/run/nix-pgo/events.jsonl" nixos) (hasInfix "\\| /u/hook" nixos) (hasInfix "notify-send" nixos) (hasInfix "notify-send --app-name=nix-pgo" hm) ];
      expected = [ true true false true ];
    }
  ];

  failures = filter (c: c.expr != c.expected) cases;
in
{
  total = length cases;
  failures = map (c: { inherit (c) name expr expected; }) failures;
}
