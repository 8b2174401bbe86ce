/**
  The machine of the real-systemd host test (test/host/nixos-machine.int.test.ts):
  the nix-pgo module's values (nix/nixos/machine.nix) composed with the rest
  of a small NixOS configuration the way NixOS' module system composes them
  (the module's profile first on PATH, its overlay last), without nixpkgs'
  lib, and rendered to files by nixos-render.nix.

  The configuration: calc (clang) and wordfreq (GCC) managed; two normal
  users; a system service with DynamicUser and ProtectSystem=strict and a
  user unit, each running the probe (both programs, then what it saw); the
  spool on disk (containers get no tmpfs size from here).

  Inside the host it is also the system the daemon and root evaluate: the
  host's NIX_PATH has `nixpkgs=/etc/nixos/nixpkgs` (whose `nixos` returns
  this file's result) and `nixos-config=/etc/nixos/configuration.nix`
  (which calls this file), so `import <nixpkgs/nixos> { }` evaluates this
  machine, as it evaluates a NixOS machine's configuration.

  `fromModule` is the same machine evaluated by the module itself with
  nixpkgs' lib (nixos-eval.nix), where the lib exists: rendering either must
  give the same files.

  # Example

  ```sh
  nix-build nix/tests/nixos-host.nix -A rendered --argstr repo "$PWD"
  ```
*/
{
  # This checkout, as the host sees it (bound at the same path).
  repo,
  system ? builtins.currentSystem,
  # The lock the configuration reads: the module's default, root's checked lock.
  lockFile ? "/var/lib/nix-pgo-system/pgo-lock.json",
  # Runs per program of each probe, and of the login users (for the policy's minRuns).
  runs ? { alice = 2; bob = 3; service = 1; userUnit = 1; },
  # The services.nix-pgo values the test changes (packages, settings, …).
  nixPgo ? { },
}:
let
  inherit (builtins) foldl';

  fix = f: let x = f x; in x;
  extends = overlay: f: final: let prev = f final; in prev // overlay final prev;

  node = "/usr/bin/node";
  base = import ./nixos-pkgs.nix { inherit system repo node; };

  totalRuns = runs.alice + runs.bob + runs.service + runs.userUnit;

  # What the test's configuration says of services.nix-pgo.
  settings = {
    packages = [ "calc" "wordfreq" ];
    # 10k counts: below what the test's runs of each program give (wordfreq's
    # seven about 30k), so minRuns alone decides when the builds start.
    thresholdMB = 0.00001;
    # Every contributor counts (the dynamic user has no fixed name); the
    # optimized builds start once every run of the test is merged.
    settings = {
      trustedUsers = "*";
      policy.minRuns = totalRuns;
    };
    lockFile = lockFile;
    spoolSize = null;
  }
  // nixPgo;

  # The options' defaults (nix/nixos/module-shared.nix, nixos-module.nix), which the module system would apply.
  cfg = {
    enable = (settings.packages or [ ]) != [ ];
    packages = [ ];
    thresholdMB = 1;
    onReady = "switch";
    package = pkgs.nix-pgo;
    lockFile = "/var/lib/nix-pgo-system/pgo-lock.json";
    flake = null;
    flakeHost = "host";
    enableWith = { };
    desktopNotifications = false;
    checkConfig = true;
    settings = { };
    replaceDependencies = [ ];
    spoolSize = "25%";
    sandboxedServices = true;
  }
  // settings;

  nixPath = [ "nixpkgs=/etc/nixos/nixpkgs" "nixos-config=/etc/nixos/configuration.nix" ];

  machine = import ../nixos/machine.nix {
    inherit cfg pkgs nixPath;
    normalUsers = [ "alice" "bob" ];
    services = own.services // machine.systemd.services;
    systemdPackage = pkgs.systemd;
    nixPackage = pkgs.nix;
  };

  # nixpkgs' fixed point of the base set and nixpkgs.overlays, in order.
  pkgs = fix (foldl' (f: overlay: extends overlay f) base machine.nixpkgs.overlays);

  # Runs both managed programs, then says what it saw: its uid, the
  # variables of the spool, which build of each program ran.
  probe = pkgs.writeShellScript "nix-pgo-probe" ''
    set -eu
    runs=$1 calc=''${2:-calc} wordfreq=''${3:-wordfreq}
    echo "probe uid=$(${pkgs.coreutils}/bin/id -u)"
    for v in NIX_PGO_SPOOL LLVM_PROFILE_FILE GCOV_PREFIX GCOV_PREFIX_STRIP NIX_PGO_GCDA_ROOT; do
      if value=$(${pkgs.coreutils}/bin/printenv "$v"); then echo "probe env $v=$value"; else echo "probe env $v unset"; fi
    done
    i=0
    while [ "$i" -lt "$runs" ]; do
      "$calc" 1 >/dev/null
      echo "the quick brown fox jumps over the lazy dog the end" | "$wordfreq" >/dev/null
      i=$((i + 1))
    done
    for p in "$calc" "$wordfreq"; do
      case $p in /*) ;; *) p=$(command -v "$p") ;; esac
      echo "probe ran $(${pkgs.coreutils}/bin/basename "$p")=$(${pkgs.coreutils}/bin/readlink -f "$p")"
    done
  '';
  probePackage = pkgs.runCommand "nix-pgo-probe" { } ''
    mkdir -p $out/bin
    ln -s ${probe} $out/bin/nix-pgo-probe
  '';

  required = [ pkgs.coreutils pkgs.findutils pkgs.gnugrep pkgs.gnused ];

  # The configuration's own units: a sandboxed system service and a user unit.
  own = {
    services.probe = {
      description = "nix-pgo host test: a sandboxed service that runs the managed programs";
      serviceConfig = {
        Type = "oneshot";
        DynamicUser = true;
        ProtectSystem = "strict";
        ExecStart = "${probe} ${toString runs.service} ${pkgs.calc}/bin/calc ${pkgs.wordfreq}/bin/wordfreq";
      };
    };
    userServices.probe = {
      description = "nix-pgo host test: a user unit that runs the managed programs";
      serviceConfig = {
        Type = "oneshot";
        ExecStart = "${probe} ${toString runs.userUnit} ${pkgs.calc}/bin/calc ${pkgs.wordfreq}/bin/wordfreq";
      };
    };
  };

  # The rest of NixOS that the module lives in: the profiles of
  # nixos/modules/programs/environment.nix and of Nix's and the users'
  # modules after the module's own (mkBefore), PATH of each profile for PAM.
  nixosProfiles = [ "$HOME/.nix-profile" "/etc/profiles/per-user/$USER" "/nix/var/nix/profiles/default" "/run/current-system/sw" ];

  # `import <nixpkgs/nixos> { }` inside the host: this file, with the host's paths.
  shim = {
    "nixos/nixpkgs/nixos/default.nix".text = ''
      # The host test's stand-in for nixpkgs' nixos/: evaluates <nixos-config>.
      { ... }: import <nixos-config>
    '';
    "nixos/configuration.nix".text = ''
      import ${repo}/nix/tests/nixos-host.nix { repo = ${builtins.toJSON repo}; }
    '';
  };

  config = {
    systemd = {
      package = pkgs.systemd;
      services = own.services // machine.systemd.services;
      paths = machine.systemd.paths;
      user.services = { probe = own.userServices.probe; } // machine.systemd.user.services;
      inherit (machine.systemd) globalEnvironment tmpfiles packages;
    };
    environment = {
      # coreutils, findutils, grep, sed: what NixOS' system-path.nix always installs (requiredPackages).
      systemPackages = required ++ [ pkgs.calc pkgs.wordfreq probePackage ] ++ machine.environment.systemPackages;
      inherit (machine.environment) sessionVariables;
      profiles = machine.environment.profiles ++ nixosProfiles;
      profileRelativeSessionVariables.PATH = [ "/bin" ];
      etc = machine.environment.etc // shim;
    };
    users = {
      users = machine.users.users // {
        alice.isNormalUser = true;
        bob.isNormalUser = true;
      };
      inherit (machine.users) groups;
    };
    inherit (machine) fileSystems;
  };

  /** The same machine through the module and nixpkgs' lib: its `config`, as NixOS' module system makes it. */
  fromModule =
    lib:
    let
      evaluated = (import ./nixos-eval.nix { inherit lib system repo node; }).nixos [
        (
          { pkgs, ... }:
          {
            services.nix-pgo = settings // { package = pkgs.nix-pgo; };
            networking.hostName = "host";
            nix.nixPath = nixPath;
            systemd.services.probe = own.services.probe;
            systemd.user.services.probe = own.userServices.probe;
            environment.systemPackages = required ++ [ pkgs.calc pkgs.wordfreq probePackage ];
            environment.profiles = lib.mkAfter nixosProfiles;
            environment.etc = shim;
            users.users.alice.isNormalUser = true;
            users.users.bob.isNormalUser = true;
          }
        )
      ];
    in
    evaluated;
in
{
  inherit pkgs config machine totalRuns;

  rendered = import ./nixos-render.nix { inherit pkgs config; };

  /** The files of the module's own evaluation (nixpkgs' lib), rendered by the same code. */
  renderedFromModule =
    lib:
    let
      e = fromModule lib;
    in
    import ./nixos-render.nix {
      pkgs = e._module.args.pkgs;
      config = e.config // { environment = e.config.environment // { profileRelativeSessionVariables.PATH = [ "/bin" ]; }; };
    };

  /**
    The home-manager module's daemon unit for a flake (so with NIX_CONFIG), as
    home-manager writes it: systemd must read one NIX_CONFIG from it.
  */
  homeManagerUnit = import ./home-manager-render.nix { inherit pkgs; } "nix-pgo.service" (
    import ../nixos/home-manager-unit.nix {
      package = pkgs.nix-pgo;
      configFile = "/home/alice/.config/nix-pgo/config.json";
      configSource = pkgs.writeText "nix-pgo-config.json" "{}";
      unset = machine.systemd.services.nix-pgo.serviceConfig.UnsetEnvironment;
      flake = true;
      kill = "${pkgs.coreutils}/bin/kill";
    }
  );

  /** The assertions and warnings NixOS would stop on or print. */
  failedAssertions = map (a: a.message) (builtins.filter (a: !a.assertion) machine.assertions);
  inherit (machine) warnings;
}
