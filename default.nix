# Non-flake entry point: `import ./nix-pgo { }` gives the Nix library.
{
  defaultProfileDir ? "/tmp/nix-pgo",
}:
import ./nix { inherit defaultProfileDir; }
