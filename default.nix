# Non-flake entry point: `import ./nix-pgo { }` gives the Nix library, and
# `nix-build -A nix-pgo` (here) builds the `nix-pgo` command.
{
  defaultProfileDir ? "/tmp/nix-pgo",
  # The package set the command is built with: nixpkgs when <nixpkgs> is on
  # the Nix search path. Without one (`--arg pkgs null`, or no <nixpkgs>),
  # it is built with the host's Node.js and Nix (examples/pkgs/nix-pgo).
  pkgs ?
    let found = builtins.tryEval (builtins.findFile builtins.nixPath "nixpkgs");
    in if found.success then import found.value { } else null,
}:
import ./nix { inherit defaultProfileDir; }
// {
  nix-pgo = if pkgs == null then import ./examples/pkgs/nix-pgo { } else pkgs.callPackage ./package.nix { };
}
