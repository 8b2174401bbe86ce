/**
  The options of `enableWith`: their names and types, and the errors for an
  unknown option (naming it, suggesting the closest valid name, listing the
  valid ones) or a value of the wrong type.

  Option names are checked as soon as `enableWith` gets its options; values
  only when they are used, so an option that is never needed is never forced.

  # Example

  ```nix
  (import ./options.nix).checkNames "enableWith" { profil = ./p.profdata; }
  => error: nix-pgo: enableWith has no option 'profil' (did you mean 'profile'?); the options are bolt, boltDumpInterval, boltProfile, boltTools, collection, compilerVersion, defaultProfileDir, mergeTool, profile, smokeTest, toolchain
  ```
*/
let
  inherit (builtins)
    any
    attrNames
    concatStringsSep
    elemAt
    filter
    foldl'
    genList
    head
    isAttrs
    isInt
    isPath
    isString
    length
    replaceStrings
    stringLength
    substring
    typeOf
    ;

  /**
    Every option with what it accepts besides null (null means "not given").
    `profile` is checked where it is used, with a message naming the package.
  */
  types = {
    profile = {
      description = "a path, an absolute path string or a derivation";
      check = _: true;
    };
    toolchain = {
      description = ''"clang" or "gcc"'';
      check = v: v == "clang" || v == "gcc";
    };
    mergeTool = {
      description = "a path, a string or a derivation";
      check = v: isPath v || isString v || isAttrs v;
    };
    compilerVersion = {
      description = "a string or an integer";
      check = v: isString v || isInt v;
    };
    defaultProfileDir = {
      description = "an absolute path string (in quotes: a path would be copied into the store)";
      check = isAbsolute;
    };
    collection = {
      description = ''"exit" or "continuous"'';
      check = v: v == "exit" || v == "continuous";
    };
    bolt = {
      description = "true or false";
      check = v: v == true || v == false;
    };
    boltTools = {
      description = "the BOLT package of the compiler's LLVM (with bin/llvm-bolt and bin/merge-fdata), or { llvmBolt; mergeFdata; }";
      check = isAttrs;
    };
    boltProfile = {
      description = "a path, an absolute path string or a derivation (a directory of <build id>.fdata files)";
      check = _: true;
    };
    boltDumpInterval = {
      description = "a positive number of seconds";
      check = v: isInt v && v > 0;
    };
    smokeTest = {
      description = "shell code (a string)";
      check = isString;
    };
  };

  names = attrNames types;

  isAbsolute = v: isString v && substring 0 1 v == "/";

  upperCase = [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" ];
  lowerCase = [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" ];
  toLower = replaceStrings upperCase lowerCase;

  chars = s: genList (i: substring i 1 s) (stringLength s);

  min = a: b: if a < b then a else b;

  /**
    The Levenshtein distance between two strings: how many characters must be
    inserted, deleted or replaced to turn one into the other.

    # Example

    ```nix
    editDistance "kitten" "sitting"
    => 3
    ```
  */
  editDistance =
    a: b:
    let
      bs = chars b;
      width = length bs;
      # One row of the table per character of `a`, from the row above.
      nextRow =
        above: ca:
        let
          row = genList (
            j:
            if j == 0 then
              elemAt above 0 + 1
            else
              min (min (elemAt above j + 1) (elemAt row (j - 1) + 1)) (
                elemAt above (j - 1) + (if ca == elemAt bs (j - 1) then 0 else 1)
              )
          ) (width + 1);
        in
        row;
    in
    elemAt (foldl' nextRow (genList (j: j) (width + 1)) (chars a)) width;

  hasInfix =
    infix: s:
    let
      n = stringLength infix;
    in
    n <= stringLength s && any (i: substring i n s == infix) (genList (i: i) (stringLength s - n + 1));

  /**
    The valid name closest to `name`, ignoring case, or null when none is
    close: at most a third of the name's length plus one edits away, or one
    name containing the other (at least three characters). A valid name that
    starts with `name` wins, then the one with the fewest edits.

    # Example

    ```nix
    closest "defaultprofiledir"
    => "defaultProfileDir"
    closest "tool"
    => "toolchain"
    closest "jobs"
    => null
    ```
  */
  closest =
    name:
    let
      wanted = toLower name;
      scored = map (
        candidate:
        let
          c = toLower candidate;
        in
        {
          inherit candidate;
          distance = editDistance wanted c;
          related = stringLength wanted >= 3 && (hasInfix wanted c || hasInfix c wanted);
          prefix = stringLength wanted >= 3 && substring 0 (stringLength wanted) c == wanted;
        }
      ) names;
      close = filter (s: s.related || s.distance <= stringLength wanted / 3 + 1) scored;
      # A name that starts with the given one comes first, then the fewest edits.
      better = a: b: if a.prefix != b.prefix then a.prefix else a.distance < b.distance;
      best = foldl' (a: b: if better b a then b else a) (head close) close;
    in
    if close == [ ] then null else best.candidate;

  quote = s: "'${s}'";

  describeUnknown =
    name:
    let
      suggestion = closest name;
    in
    quote name + (if suggestion == null then "" else " (did you mean ${quote suggestion}?)");

  /**
    The error message for unknown option names given to `fn`.

    # Example

    ```nix
    unknownMessage "enableWith" [ "toolchian" ]
    => "nix-pgo: enableWith has no option 'toolchian' (did you mean 'toolchain'?); the options are bolt, boltDumpInterval, boltProfile, boltTools, collection, compilerVersion, defaultProfileDir, mergeTool, profile, smokeTest, toolchain"
    ```
  */
  unknownMessage =
    fn: unknown:
    "nix-pgo: ${fn} has no option${if length unknown > 1 then "s" else ""} "
    + concatStringsSep ", " (map describeUnknown unknown)
    + "; the options are ${concatStringsSep ", " names}";

  /**
    `options` itself when it is an attribute set of known option names;
    otherwise an error. The values are not forced.

    # Example

    ```nix
    checkNames "enableWith" { toolchain = "gcc"; }
    => { toolchain = "gcc"; }
    ```
  */
  checkNames =
    fn: options:
    if !isAttrs options then
      throw "nix-pgo: ${fn} takes an attribute set of options first, not a ${typeOf options}"
    else if options.type or null == "derivation" then
      throw "nix-pgo: ${fn} takes its options first and the derivation second (${fn} { ... } drv); for no options use enable drv"
    else
      let
        unknown = filter (n: !(types ? ${n})) (attrNames options);
      in
      if unknown == [ ] then options else throw (unknownMessage fn unknown);

  describeValue = v: if isString v then ''"${v}"'' else "a ${typeOf v}";

  /**
    The value of option `name` in `options`, or `default` when it is missing or
    null; an error naming the option when the value has the wrong type.

    # Example

    ```nix
    get "enableWith" { compilerVersion = 16; } "compilerVersion" "unknown"
    => 16
    ```
  */
  get =
    fn: options: name: default:
    let
      value = options.${name} or null;
    in
    if value == null then
      default
    else if types.${name}.check value then
      value
    else
      throw "nix-pgo: ${fn}: option ${name} must be ${types.${name}.description}, not ${describeValue value}";
in
{
  inherit
    names
    editDistance
    closest
    unknownMessage
    checkNames
    get
    isAbsolute
    ;
}
