/**
  How the library's functions take options (`enableWith`, `bolt.instrument`,
  `bolt.optimize`): an attribute set checked against a table that gives each
  option's description and check. An unknown name is an error as soon as the
  options are given (naming it, suggesting the closest valid name, listing
  the valid ones); a value only when it is read, so an option that is never
  needed is never forced. null is the same as not given.

  The "did you mean" is this file's own Levenshtein distance: the library
  uses builtins only (no nixpkgs lib, so no lib.strings.levenshteinAtMost)
  and works on Nix 2.8.

  # Example

  ```nix
  let opts = (import ./options.nix).declare "enableWith" { toolchain = types.enum [ "clang" "gcc" ]; } { toolchian = "gcc"; };
  in opts.checked
  => error: nix-pgo: enableWith has no option 'toolchian' (did you mean 'toolchain'?); the options are toolchain
  ```
*/
let
  inherit (builtins)
    any
    attrNames
    concatStringsSep
    elem
    elemAt
    filter
    foldl'
    genList
    head
    isAttrs
    isInt
    isString
    length
    stringLength
    substring
    toJSON
    typeOf
    ;

  helpers = import ./helpers.nix;

  chars = s: genList (i: substring i 1 s) (stringLength s);

  min = a: b: if a < b then a else b;

  /** The Levenshtein distance: how many characters must be inserted, deleted or replaced to turn `a` into `b`. */
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
    The name of `names` closest to `name`, ignoring case, or null when none
    is close: at most a third of the name's length plus one edits away, or
    one name containing the other (at least three characters). A name that
    starts with `name` wins, then the one with the fewest edits.
  */
  closest =
    names: name:
    let
      wanted = helpers.toLower name;
      scored = map (
        candidate:
        let
          c = helpers.toLower candidate;
        in
        {
          inherit candidate;
          distance = editDistance wanted c;
          related = stringLength wanted >= 3 && (hasInfix wanted c || hasInfix c wanted);
          prefix = stringLength wanted >= 3 && helpers.hasPrefix wanted c;
        }
      ) names;
      close = filter (s: s.related || s.distance <= stringLength wanted / 3 + 1) scored;
      # A name that starts with the given one comes first, then the fewest edits.
      better = a: b: if a.prefix != b.prefix then a.prefix else a.distance < b.distance;
      best = foldl' (a: b: if better b a then b else a) (head close) close;
    in
    if close == [ ] then null else best.candidate;

  quote = s: "'${s}'";

  /** The error message for the unknown option names `unknown` given to `fn`, whose options are `names`. */
  unknownMessage =
    fn: names: unknown:
    let
      describe =
        name:
        let
          suggestion = closest names name;
        in
        quote name + (if suggestion == null then "" else " (did you mean ${quote suggestion}?)");
    in
    "nix-pgo: ${fn} has no option${if length unknown > 1 then "s" else ""} "
    + concatStringsSep ", " (map describe unknown)
    + "; the options are ${concatStringsSep ", " names}";

  describeValue = v: if isString v then ''"${v}"'' else "a ${typeOf v}";
in
{
  /** Option types: what an option accepts besides null, in words and as a check. */
  types = {
    /** Anything: the function checks it where it is used (with a message naming the package). */
    any = description: {
      inherit description;
      check = _: true;
    };

    /** One of the strings `values`. */
    enum = values: {
      description = concatStringsSep " or " (map toJSON values);
      check = v: elem v values;
    };

    bool = {
      description = "true or false";
      check = v: v == true || v == false;
    };

    absolutePath = {
      description = "an absolute path string (in quotes: a path would be copied into the store)";
      check = helpers.isAbsolute;
    };

    seconds = {
      description = "a positive number of seconds";
      check = v: isInt v && v > 0;
    };

    shellCode = {
      description = "shell code (a string)";
      check = isString;
    };

    /** An attribute set that `check` accepts, described as `description`. */
    attrs = description: check: {
      inherit description;
      check = v: isAttrs v && check v;
    };
  };

  /**
    The options `options` given to `fn`, declared by `spec` (name -> type):
    `checked` is `options` itself when every name is declared, else an error
    (force it to check the names); `get NAME DEFAULT` is the value, or
    DEFAULT when it is missing or null, or an error naming the option when
    its type refuses it; `require NAME` is the value, or an error saying it
    is needed.

    # Example

    ```nix
    (declare "enableWith" { compilerVersion = types.any "a string"; } { compilerVersion = 16; }).get "compilerVersion" "unknown"
    => 16
    ```
  */
  declare =
    fn: spec: options:
    let
      names = attrNames spec;
      get =
        name: default:
        let
          value = options.${name} or null;
        in
        if value == null then
          default
        else if spec.${name}.check value then
          value
        else
          throw "nix-pgo: ${fn}: option ${name} must be ${spec.${name}.description}, not ${describeValue value}";
    in
    {
      checked =
        if !isAttrs options then
          throw "nix-pgo: ${fn} takes an attribute set of options, not a ${typeOf options}"
        else
          let
            unknown = filter (n: !(spec ? ${n})) (attrNames options);
          in
          if unknown == [ ] then options else throw (unknownMessage fn names unknown);
      inherit get;
      require = name: get name (throw "nix-pgo: ${fn} needs the option ${name}: ${spec.${name}.description}");
    };
}
