/**
  Compiler and linker flags for the instrumented and the optimized variants.
  Pure data: everything here is a function of the toolchain and the options,
  so it is unit-tested in nix/tests without building anything.
*/
let
  /**
    What continuous collection adds to the compile flags (clang 16). On ELF
    the LLVM runtime can keep the counters in its file only through a bias
    variable: without -runtime-counter-relocation it prints
    "__llvm_profile_counter_bias is undefined" and writes nothing. It writes no
    value profiles in continuous mode, so code with value sites gives a file
    llvm-profdata rejects as truncated: -disable-vp=true (the cost: no
    indirect-call promotion from such a profile). The flags reach link steps
    too, where clang calls -mllvm unused; -Werror packages must still link.

    # Example

    ```nix
    continuousFlags
    => [ "-mllvm" "-runtime-counter-relocation" "-mllvm" "-disable-vp=true" "-Wno-unused-command-line-argument" ]
    ```
  */
  continuousFlags = [
    "-mllvm"
    "-runtime-counter-relocation"
    "-mllvm"
    "-disable-vp=true"
    "-Wno-unused-command-line-argument"
  ];
in
{
  inherit continuousFlags;

  /**
    Flags for the instrumented ("profile") build. `collection` is "exit"
    (profiles written when a program exits, the default) or "continuous"
    (clang only: the counters live in a memory-mapped file that is current
    while the program runs; see runtime/llvm-start.c, which the prepare phase
    links into every module).

    # Example

    ```nix
    profileFlags { toolchain = "clang"; defaultProfileDir = "/tmp/nix-pgo"; }
    => { compile = [ "-fprofile-generate=/tmp/nix-pgo/llvm" ]; link = [ "--build-id" ]; }
    ```
  */
  profileFlags =
    {
      toolchain,
      defaultProfileDir,
      collection ? "exit",
    }:
    if collection != "exit" && collection != "continuous" then
      throw "nix-pgo: unknown collection '${toString collection}' (expected exit or continuous)"
    else if collection == "continuous" && toolchain != "clang" then
      throw "nix-pgo: collection = \"continuous\" needs clang; libgcov (GCC) writes profiles only when a program exits"
    else if toolchain == "clang" then
      {
        # The runtime's own default, which the startup object (runtime/llvm-start.c)
        # replaces with the user's directory of the spool.
        compile = [ "-fprofile-generate=${defaultProfileDir}/llvm" ] ++ (if collection == "continuous" then continuousFlags else [ ]);
        link = [ "--build-id" ];
      }
    else if toolchain == "gcc" then
      {
        # -fprofile-generate=DIR and -fprofile-prefix-path need $out and
        # $NIX_BUILD_TOP, so they are added by the setup phase (see gccRuntimeFlags).
        compile = [ "-fprofile-update=prefer-atomic" ];
        link = [ "--build-id" ];
      }
    else
      throw "nix-pgo: unknown toolchain '${toolchain}' (expected clang or gcc)";

  /**
    Flags for the optimized build, given the profile's store path as a string.

    # Example

    ```nix
    optimizeFlags { toolchain = "clang"; profile = "/nix/store/…-hello.profdata"; }
    => { compile = [ "-fprofile-use=/nix/store/…-hello.profdata" "-Wno-profile-instr-unprofiled" … ]; link = [ "--build-id" ]; }
    ```
  */
  optimizeFlags =
    {
      toolchain,
      profile,
      # With BOLT after PGO: relocations kept in the output, so BOLT can move functions.
      bolt ? false,
    }:
    let
      link = [ "--build-id" ] ++ (if bolt then [ "--emit-relocs" ] else [ ]);
    in
    if toolchain == "clang" then
      {
        compile = [
          "-fprofile-use=${profile}"
          # A profile is never a perfect match for the code being built (other
          # inputs, a newer version); -Werror packages must still build.
          "-Wno-profile-instr-unprofiled"
          "-Wno-profile-instr-out-of-date"
          "-Wno-profile-instr-missing"
          "-Wno-backend-plugin"
        ];
        inherit link;
      }
    else if toolchain == "gcc" then
      {
        compile = [
          "-fprofile-use=${profile}"
          "-fprofile-correction"
          "-fprofile-partial-training"
          "-Wno-missing-profile"
          # GCC treats a stale profile as an error by default.
          "-Wno-error=coverage-mismatch"
        ];
        inherit link;
      }
    else
      throw "nix-pgo: unknown toolchain '${toolchain}' (expected clang or gcc)";

  /**
    Shell words the setup phase appends to NIX_CFLAGS_COMPILE for GCC builds:
    gcda files are named after object paths, so both builds strip the build
    directory, and the instrumented build bakes in a directory of its own.

    # Example

    ```nix
    gccRuntimeFlags { mode = "profile"; defaultProfileDir = "/tmp/nix-pgo"; }
    => "-fprofile-prefix-path=$NIX_BUILD_TOP -fprofile-generate=/tmp/nix-pgo/gcda/$(basename \"$out\")"
    ```
  */
  gccRuntimeFlags =
    { mode, defaultProfileDir ? null }:
    if mode == "profile" then
      "-fprofile-prefix-path=$NIX_BUILD_TOP -fprofile-generate=${defaultProfileDir}/gcda/$(basename \"$out\")"
    else
      "-fprofile-prefix-path=$NIX_BUILD_TOP";
}
