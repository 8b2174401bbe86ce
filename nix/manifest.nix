/**
  The manifest every variant writes, `$out/nix-support/pgo.json`, as a
  layout: its members in order, those known at evaluation time with their
  values (`builtins.toJSON`), the others named for the build to fill in.
  `scripts/manifest.awk` writes the file from the layout and the build's
  facts; schema/manifest.schema.json describes the result.

  # Example

  ```nix
  (attrs (head "profile" ++ [ (fixed "toolchain" "clang") (list "binaries") ])).pgoManifestLayout
  => "=nixPgo\t1\n=kind\t\"profile\"\n?name\n?pname\n?version\n?outPath\n=toolchain\t\"clang\"\n[binaries"
  ```
*/
let
  /** A member whose value is known now. */
  fixed = name: value: "=${name}\t${builtins.toJSON value}";

  /** A member whose value the build finds: a string, a whole number, a boolean or null. */
  fact = name: "?${name}";
in
{
  inherit fixed fact;

  /** A list of objects the build adds, one per ELF file. */
  list = name: "[${name}";

  /** The members every manifest starts with: the format, the kind, and the derivation's name and output (the build's own variables). */
  head = kind: [
    (fixed "nixPgo" 1)
    (fixed "kind" kind)
    (fact "name")
    (fact "pname")
    (fact "version")
    (fact "outPath")
  ];

  /** The variables of a variant that writes a manifest with these members. */
  attrs = members: {
    pgoManifestLayout = builtins.concatStringsSep "\n" members;
    pgoManifestWriter = ./scripts/manifest.awk;
  };
}
