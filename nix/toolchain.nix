/**
  What the library needs to know about a stdenv's compiler: which toolchain,
  its version, and the merge tool of the same release (profile formats must
  match).
*/
{
  /**
    "clang" or "gcc", from `stdenv.cc.isClang` / `stdenv.cc.isGNU`.

    # Example

    ```nix
    detectToolchain { cc = { isClang = true; }; }
    => "clang"
    ```
  */
  detectToolchain =
    stdenv:
    let
      cc = stdenv.cc or null;
    in
    if cc == null then
      throw "nix-pgo: this stdenv has no C compiler (stdenv.cc is missing)"
    else if cc.isClang or false then
      "clang"
    else if cc.isGNU or false then
      "gcc"
    else
      throw "nix-pgo: unsupported compiler ${cc.name or "?"}: stdenv.cc is neither clang (isClang) nor GCC (isGNU)";

  /**
    The merge tool that matches the compiler: llvm-profdata of the same LLVM
    (nixpkgs: stdenv.cc.cc.libllvm), or GCC's own gcov-tool (stdenv.cc.cc).

    # Example

    ```nix
    mergeToolFor "clang" stdenv
    => "/nix/store/…-llvm-16.0.6/bin/llvm-profdata"
    ```
  */
  mergeToolFor =
    toolchain: stdenv:
    let
      cc = stdenv.cc;
      unwrapped = cc.cc or (throw "nix-pgo: stdenv.cc has no cc attribute (the unwrapped compiler); pass mergeTool explicitly");
    in
    if toolchain == "clang" then
      let
        llvm =
          unwrapped.libllvm
            or (throw "nix-pgo: stdenv.cc.cc has no libllvm, so the matching llvm-profdata is unknown; pass mergeTool explicitly");
      in
      "${llvm}/bin/llvm-profdata"
    else
      "${unwrapped}/bin/gcov-tool";

  /**
    The compiler's version as a string, as the manifest records it.

    # Example

    ```nix
    compilerVersionOf { cc.version = "16.0.6"; }
    => "16.0.6"
    ```
  */
  compilerVersionOf = stdenv: toString (stdenv.cc.version or "unknown");
}
