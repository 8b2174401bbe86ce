/**
  The overlay of the NixOS and home-manager modules (binary substitution).

  Each managed name resolves, for the whole package set (and so for
  `environment.systemPackages`, services, and every package that depends on
  it), to its profiling variant until a profile for it is locked, and then to
  its optimized variant built with that profile. Both variants are made from
  the package the set had before (`prev.NAME`), so they keep its `pname`,
  `version` and outputs: the derivation the user declared does not change,
  the binary that satisfies it does.

  The overlay also adds `nixPgo`:

  - `nixPgo.packages.NAME`: `prev.NAME` made PGO-capable (`enableWith`), not
    substituted. The daemon builds `nixPgo.packages.NAME.pgo.profile` and
    `….pgo.optimize PROFILE` through /etc/nix-pgo/system.nix, which are
    exactly the derivations substituted here (same `.drv`), so the next
    rebuild finds them built.
  - `nixPgo.variants.NAME`: what NAME resolves to under the lock.
  - `nixPgo.variantKinds.NAME`: `"profile"`, `"optimized"`, or
    `"bolt-optimized"` (its options have `bolt = true` and the lock also has
    its BOLT profile: BOLT on the optimized variant, see docs/bolt.md).
  - `nixPgo.problems.NAME`: why a requested name is not managed (see
    `problemOf`), for the module's assertions.

  Which attributes the overlay defines depends on `prev ? NAME` only (and on
  `replace`), never on a package's value: forcing a package before the fixed
  point exists would recurse through callPackage, and a name pkgs does not
  have must reach the assertion that names it instead of failing evaluation.
  A name whose package is not built with clang or GCC stays what it was.

  # Example

  ```nix
  import <nixpkgs> {
    overlays = [
      (import ./overlay.nix {
        nix-pgo = import ../. { };
        packages = [ "sqlite" ];
        lock = (builtins.fromJSON (builtins.readFile ./pgo-lock.json)).packages;
      })
    ];
  }
  ```
*/
{
  # The library (`import ../. { }`).
  nix-pgo,
  # The names to manage: top-level attribute names of the package set.
  packages,
  # NAME -> lock entry ({ storePath, hashMode, hash, ... }), from the lock file.
  lock ? { },
  # NAME -> lock entry of its BOLT profile (the lock file's boltProfiles).
  boltLock ? { },
  # NAME -> options for `enableWith` (e.g. { collection = "continuous"; }).
  options ? { },
  # Names the module substitutes through system.replaceDependencies instead.
  replace ? [ ],
  # NAME -> lock entry -> derivation of the locked profile.
  lockedProfile ? import ./locked-profile.nix { },
}:
final: prev:
let
  inherit (builtins) elem filter listToAttrs tryEval typeOf;

  genAttrs = names: f: listToAttrs (map (name: { inherit name; value = f name; }) names);

  /**
    What a package is built from when its stdenv has a C compiler but it
    compiles no C/C++ of its own (the compiler is only its linker, or it
    compiles nothing), or null: Rust (buildRustPackage's `cargoDeps`), Go
    (buildGoModule's `goModules` / `vendorHash`), or no source at all (a
    wrapper or a script: `runCommand`, `writeShellScriptBin`, `symlinkJoin`).
    Its profiling build would fail for want of instrumented code.
  */
  notCompiled =
    pkg:
    if pkg ? cargoDeps || pkg ? cargoHash then
      "Rust"
    else if pkg ? goModules || pkg ? vendorHash then
      "Go"
    else if (pkg.src or null) == null && (pkg.srcs or null) == null then
      "no source: a wrapper or a script"
    else
      null;

  /**
    Why `prev.NAME` cannot be managed, or null. Everything that may throw is
    evaluated under tryEval, so a broken or removed package becomes a reason
    instead of an evaluation error.
  */
  problemOf =
    name:
    if !(prev ? ${name}) then
      { kind = "missing"; }
    else
      let
        checked = tryEval (
          let
            pkg = prev.${name};
            cc = pkg.stdenv.cc or null;
          in
          if !(builtins.isAttrs pkg) || (pkg.type or null) != "derivation" then
            { kind = "not-a-package"; type = if builtins.isAttrs pkg then "set" else typeOf pkg; }
          else if !(pkg ? overrideAttrs) then
            { kind = "no-overrideAttrs"; }
          else if cc == null then
            { kind = "no-compiler"; }
          else if (cc.isClang or false) || (cc.isGNU or false) then
            let
              language = notCompiled pkg;
              toolchain = options.${name}.toolchain or (if cc.isClang or false then "clang" else "gcc");
            in
            if language != null then
              { kind = "not-compiled"; inherit language; }
            else if (options.${name}.collection or "exit") == "continuous" && toolchain != "clang" then
              { kind = "continuous-gcc"; }
            else
              null
          else
            { kind = "unsupported-compiler"; compiler = cc.name or "unknown"; }
        );
      in
      if checked.success then checked.value else { kind = "fails"; };

  present = filter (name: prev ? ${name}) packages;
  substituted = filter (name: !(elem name replace)) present;

  problems = listToAttrs (
    filter (p: p.value != null) (map (name: { inherit name; value = problemOf name; }) packages)
  );

  enabled = genAttrs present (name: nix-pgo.enableWith (options.${name} or { }) prev.${name});

  kindOf =
    name:
    if !(lock ? ${name}) then
      "profile"
    else if boltLock ? ${name} && (options.${name}.bolt or false) then
      "bolt-optimized"
    else
      "optimized";

  variantOf =
    name:
    let
      kind = kindOf name;
    in
    if kind == "bolt-optimized" then
      (enabled.${name}.pgo.select {
        profile = lockedProfile name lock.${name};
        boltProfile = lockedProfile name boltLock.${name};
      }).boltOptimized
    else if kind == "optimized" then
      enabled.${name}.pgo.optimize (lockedProfile name lock.${name})
    else
      enabled.${name}.pgo.profile;
in
{
  nixPgo = {
    packages = enabled;
    variants = genAttrs present variantOf;
    variantKinds = genAttrs present kindOf;
    inherit problems;
  };
}
// genAttrs substituted (name: if problems ? ${name} then prev.${name} else variantOf name)
