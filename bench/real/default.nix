# Real programs from Debian source packages, packaged with the nix-pgo library
# on the example stdenv's clang, for the benchmark (bench/real/run.ts).
#
#   nix-build bench/real -A lua --arg luaSrc /path/to/lua5.4-5.4.4
#   nix-build bench/real -A lua.pgo.optimized --arg luaSrc ... --arg pgoProfiles '{ lua = "/nix/store/..."; }'
#
# The sources are fetched at run time (`apt-get source`) and never live in the repo.
{
  luaSrc ? null,
  luaVersion ? "5.4",
  sqliteSrc ? null,
  sqliteVersion ? "3",
  emacsSrc ? null,
  emacsVersion ? "28",
  # Selected profiles by attribute name (a path, or a store path string).
  pgoProfiles ? { },
  boltProfiles ? { },
  nix-pgo ? import ../../nix { },
}:
let
  stdenvs = import ../../examples/stdenv { };
  inherit (stdenvs) clangStdenv;
  # PGO, then BOLT on the PGO-optimized build (host BOLT 16); the smoke test
  # must print the same before and after BOLT, or a rewritten file goes back.
  enableBolt =
    name: smokeTest: drv:
    nix-pgo.enableWith {
      profile = pgoProfiles.${name} or null;
      bolt = true;
      boltTools = import ../../examples/stdenv/bolt.nix { };
      boltProfile = boltProfiles.${name} or null;
      inherit smokeTest;
    } drv;
  enableLive = name: drv: nix-pgo.enableWith { profile = pgoProfiles.${name} or null; collection = "continuous"; } drv;

  # A string from --argstr becomes a path; a missing source fails naming the argument.
  sourcePath =
    argName: src:
    if src == null then throw "bench/real: pass the source directory with --arg ${argName} /path"
    else if builtins.isString src then /. + src
    else src;

  # Only what the build reads: the SQLite tree has 120 MB of tests and web pages.
  sqliteFilter =
    root: path: type:
    let
      rel = builtins.substring (builtins.stringLength (toString root) + 1) (-1) (toString path);
      top = builtins.head (builtins.split "/" rel);
    in
    !(builtins.elem top [ "www" "doc" "art" "debian" ".pc" ])
    && (top != "test" || rel == "test" || rel == "test/speedtest1.c");

  # Debian's packaging and quilt's state are not part of the build.
  emacsFilter =
    root: path: type:
    let
      rel = builtins.substring (builtins.stringLength (toString root) + 1) (-1) (toString path);
    in
    !(builtins.elem rel [ "debian" ".pc" ]);
in
{
  inherit clangStdenv;

  # The Lua 5.4 interpreter, compiled file by file with upstream's `make linux` flags.
  # The smoke test runs the interpreter's loop, closures, strings and tables.
  lua = enableBolt "lua" ''
    "$out/bin/lua" -e 'local t = {} for i = 1, 2000 do t[#t + 1] = string.format("%d:%x", i, i * i) end
      local f = function(a, b) return a .. "," .. b end print(#t, t[7], t[1999], f(t[2], t[3]), table.concat(t, ";", 1, 5))'
  '' (clangStdenv.mkDerivation {
    pname = "lua";
    version = luaVersion;
    src = builtins.path { path = sourcePath "luaSrc" luaSrc; name = "lua-source"; };
    buildPhase = "bash ${./programs/lua/build.sh} . build";
    installPhase = "mkdir -p $out/bin && cp build/lua $out/bin/lua";
  });

  # SQLite's speedtest1 on the amalgamation generated from the canonical sources.
  # The smoke test runs one small test set; the times it prints are cut off.
  sqlite = enableBolt "sqlite" ''
    "$out/bin/speedtest1" --memdb --testset main --size 1 | sed 's/[0-9.]*s$//'
  '' (clangStdenv.mkDerivation {
    pname = "sqlite";
    version = sqliteVersion;
    src =
      let root = sourcePath "sqliteSrc" sqliteSrc;
      in builtins.path { path = root; name = "sqlite-source"; filter = sqliteFilter root; };
    # build.sh runs SQLite's configure itself, only to generate the amalgamation.
    configurePhase = ":";
    buildPhase = "bash ${./programs/sqlite/build.sh} . build";
    installPhase = "mkdir -p $out/bin && cp build/speedtest1 $out/bin/speedtest1";
  });

  # Emacs for the terminal, built by programs/emacs/build.sh (autogen,
  # configure, make, make install into $out). Collected continuously: a
  # long-running `emacs --daemon` shows its counts while it runs.
  emacs = enableLive "emacs" (clangStdenv.mkDerivation {
    pname = "emacs";
    version = emacsVersion;
    src =
      let root = sourcePath "emacsSrc" emacsSrc;
      in builtins.path { path = root; name = "emacs-source"; filter = emacsFilter root; };
    configurePhase = ":";
    buildPhase = "bash ${./programs/emacs/build.sh} . $out";
    installPhase = ":";
  });
}
