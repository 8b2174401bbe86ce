/**
  Small functions the library's files share, private to it (builtins only:
  the library works without nixpkgs' lib).
*/
let
  inherit (builtins)
    isAttrs
    isPath
    isString
    pathExists
    replaceStrings
    storeDir
    stringLength
    substring
    typeOf
    ;

  /**
    Whether `s` starts with `prefix`.

    # Example

    ```nix
    hasPrefix "/nix/store/" "/nix/store/…-hello"
    => true
    ```
  */
  hasPrefix = prefix: s: substring 0 (stringLength prefix) s == prefix;
in
{
  inherit hasPrefix;

  /** The name errors give a package: its pname, else its name. */
  nameOf = attrs: attrs.pname or attrs.name or "package";

  /** Whether `v` is a string that starts with `/` (a path would be copied into the store). */
  isAbsolute = v: isString v && hasPrefix "/" v;

  /** `s` with A-Z lowered (builtins has no toLower). */
  toLower = replaceStrings
    [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" ]
    [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" ];

  /**
    A profile the user gave (a path, an absolute path string or a
    derivation) as a string with store context, or an error naming the
    package and the path. `what` names it in errors ("profile", "BOLT
    profile"); `missing` is the error for null.

    # Example

    ```nix
    storePathOf { what = "profile"; missing = "…"; } "hello" ./hello.profdata
    => "/nix/store/…-hello.profdata"
    ```
  */
  storePathOf =
    { what, missing }:
    pkgName: profile:
    if profile == null then
      throw missing
    else if isAttrs profile then
      "${profile}"
    else if isPath profile then
      if pathExists profile then "${profile}" else throw "nix-pgo: the ${what} for ${pkgName} does not exist: ${toString profile}"
    else if isString profile && hasPrefix "${storeDir}/" profile then
      if pathExists profile then
        "${builtins.storePath profile}"
      else
        throw "nix-pgo: the ${what} for ${pkgName} is not in the Nix store: ${profile}"
    else if isString profile && hasPrefix "/" profile then
      if pathExists profile then "${/. + profile}" else throw "nix-pgo: the ${what} for ${pkgName} does not exist: ${profile}"
    else
      throw "nix-pgo: the ${what} for ${pkgName} must be a path, an absolute path string or a derivation, not ${typeOf profile}";
}
