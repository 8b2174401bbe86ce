/**
  The "system pkgs" of the module tests: the example programs (not yet
  PGO-capable, as a package set has them), a package that depends on one of
  them, things that are not C/C++ packages, and the few tools the modules
  use, on the host's programs. It is the base of a fixed point
  (`final: { … }`) that the tests extend with `nixpkgs.overlays`, as NixOS
  does with nixpkgs.

  Nothing here is nixpkgs; on a machine with nixpkgs the VM test
  (nixos-vm.nix) runs the module against the real thing.
*/
{
  system ? builtins.currentSystem,
  # Where this checkout's compiled CLI is (dist/src/cli/main.js below it),
  # for the `nix-pgo` package the check-config step runs; null: a package
  # whose nix-pgo only prints its arguments.
  repo ? null,
  # The Node.js that runs it: a command on PATH, or an absolute path where
  # units run it (their PATH has only their packages).
  node ? "node",
}:
final:
let
  stdenvs = import ../../examples/stdenv { inherit system; };
  hostPath = "/usr/local/bin:/usr/bin:/bin";

  # Scripts run with errexit, as nixpkgs' stdenv runs them.
  sh = name: script: env:
    derivation ({ inherit name system; builder = "/bin/sh"; args = [ "-ec" script ]; PATH = hostPath; } // env);

  /** Host programs linked into $out/bin. */
  hostTools =
    name: programs:
    sh name ''
      mkdir -p "$out/bin"
      for p in ${builtins.concatStringsSep " " programs}; do
        for d in /usr/local/bin /usr/bin /bin; do
          if [ -x "$d/$p" ]; then ln -s "$d/$p" "$out/bin/$p"; break; fi
        done
      done
    '' { };

  withPlatform = stdenv: stdenv // { buildPlatform.system = system; hostPlatform.system = system; };
in
{
  stdenv = withPlatform stdenvs.clangStdenv;
  clangStdenv = withPlatform stdenvs.clangStdenv;
  gccStdenv = withPlatform stdenvs.gccStdenv;

  calc = import ../../examples/pkgs/calc { stdenv = stdenvs.clangStdenv; };
  wordfreq = import ../../examples/pkgs/wordfreq { stdenv = stdenvs.gccStdenv; };
  strict = import ../../examples/pkgs/strict { stdenv = stdenvs.clangStdenv; };
  crc = import ../../examples/pkgs/crc { stdenv = stdenvs.clangStdenv; };
  minivm = import ../../examples/pkgs/minivm { stdenv = stdenvs.clangStdenv; };
  ticker = import ../../examples/pkgs/ticker { stdenv = stdenvs.clangStdenv; };

  # A package that uses calc while it builds: it follows whatever calc
  # resolves to in the fixed point.
  calcUser = stdenvs.clangStdenv.mkDerivation {
    pname = "calc-user";
    version = "1.0";
    calc = final.calc;
    buildCommand = ''mkdir -p $out; "$calc/bin/calc" 3 > $out/result'';
  };

  # Built with a C compiler in their stdenv, but compiling no C/C++ of their own.
  rustTool = stdenvs.clangStdenv.mkDerivation {
    pname = "rust-tool";
    version = "1.0";
    src = ../../examples/pkgs/calc/src;
    cargoDeps = "/nix/store/00000000000000000000000000000000-rust-tool-vendor";
    buildCommand = "touch $out";
  };
  wrapper = stdenvs.clangStdenv.mkDerivation {
    pname = "wrapper";
    version = "1.0";
    buildCommand = ''mkdir -p $out/bin; printf '#!/bin/sh\nexec calc "$@"\n' > $out/bin/wrapper'';
  };

  # Not C/C++ packages.
  script = sh "script" "echo hi > $out" { };
  noCompiler = (stdenvs.clangStdenv.override (_: { cc = null; })).mkDerivation { pname = "no-compiler"; version = "1"; buildCommand = "touch $out"; };
  aSet = { x = 1; };
  removed = throw "removed: use calc instead";

  # What the modules use.
  writeText =
    name: text:
    sh name ''cp "$textPath" "$out"'' { inherit text; passAsFile = [ "text" ]; };
  writeShellScript =
    name: text:
    sh name ''{ echo '#!/bin/sh'; cat "$textPath"; } > "$out" && chmod +x "$out"'' { inherit text; passAsFile = [ "text" ]; };
  runCommand =
    name: env: script:
    derivation ({ inherit name system; builder = "/bin/sh"; args = [ "-ec" script ]; PATH = hostPath; } // env);
  coreutils = hostTools "coreutils-host" [ "id" "stat" "mkdir" "chown" "rm" "kill" "tail" "cp" "cat" "ls" "env" "readlink" "dirname" "basename" "sleep" "true" "printf" "echo" "touch" "ln" "mv" "head" "tr" "wc" "sort" "install" "printenv" ];
  findutils = hostTools "findutils-host" [ "find" "xargs" ];
  gnugrep = hostTools "gnugrep-host" [ "grep" ];
  gnused = hostTools "gnused-host" [ "sed" ];
  util-linux = hostTools "util-linux-host" [ "setpriv" ];
  getent = hostTools "getent-host" [ "getent" ];
  jq = hostTools "jq-host" [ "jq" ];
  git = hostTools "git-host" [ "git" ];
  systemd = hostTools "systemd-host" [ "systemd-tmpfiles" "systemd-analyze" "systemctl" "systemd-run" ];
  nix = hostTools "nix-host" [ "nix" "nix-build" "nix-instantiate" "nix-store" "nix-env" ];
  libnotify = sh "libnotify-stub" ''
    mkdir -p $out/bin
    printf '#!/bin/sh\necho notify-send "$@"\n' > $out/bin/notify-send
    chmod +x $out/bin/notify-send
  '' { };

  # The daemon package: this checkout's compiled CLI on the host's Node.js.
  nix-pgo =
    if repo == null then
      sh "nix-pgo-stub" ''
        mkdir -p $out/bin
        printf '#!/bin/sh\necho nix-pgo "$@"\n' > $out/bin/nix-pgo
        chmod +x $out/bin/nix-pgo
      '' { }
    else
      sh "nix-pgo-checkout" ''
        mkdir -p $out/bin
        printf '#!/bin/sh\nexec %s %s/dist/src/cli/main.js "$@"\n' "$node" "$repo" > $out/bin/nix-pgo
        chmod +x $out/bin/nix-pgo
      '' { inherit repo node; };
}
