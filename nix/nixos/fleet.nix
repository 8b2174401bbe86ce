/**
  The NixOS module's `services.nix-pgo.fleet` (docs/fleet.md): the option's
  declaration (which needs the nixpkgs lib), and, with builtins only, the
  config file's `fleet` section it renders and the Nix settings a machine of
  a fleet needs (the cache as a substituter, the aggregator's key trusted),
  so that the daemon and every `nixos-rebuild` substitute the aggregator's
  builds.

  # Example

  ```nix
  (import ./fleet.nix { }).section { role = "member"; cache = "http://cache:8080"; secretKeyFile = "/etc/nix-pgo/fleet.sec"; aggregatorKey = "agg:…="; machineKeys = [ ]; profilingDuty = null; fallback = null; intervalSeconds = null; }
  => { role = "member"; cache = "http://cache:8080"; secretKeyFile = "/etc/nix-pgo/fleet.sec"; aggregatorKey = "agg:…="; }
  ```
*/
{
  lib ? null,
}:
let
  inherit (lib) mkOption types;

  publicKey = types.strMatching "[^:/[:space:]]+:[A-Za-z0-9+/]+={0,2}";
in
{
  option = mkOption {
    default = null;
    example = lib.literalExpression ''
      {
        role = "member";
        cache = "http://cache.example:8080";
        secretKeyFile = "/var/lib/nix-pgo/fleet.sec";
        aggregatorKey = "agg:oQO4wck…=";
      }
    '';
    description = ''
      This machine in a fleet that shares profiles and optimized builds
      through a Nix binary cache (docs/fleet.md): the config file's `fleet`
      section. A member publishes its profiles and substitutes the
      aggregator's builds; the aggregator also merges every machine's
      profiles and builds once. Both add the cache to
      {option}`nix.settings.substituters` and the aggregator's key to
      {option}`nix.settings.trusted-public-keys`.
    '';
    type = types.nullOr (
      types.submodule {
        options = {
          role = mkOption {
            type = types.enum [ "member" "aggregator" ];
            description = ''"member" on every machine, "aggregator" on the one that builds.'';
          };
          cache = mkOption {
            type = types.strMatching "(file|https?)://[^?#]+";
            example = "http://cache.example:8080";
            description = "The binary cache: `file:///DIR` on shared storage, or an HTTP server that answers GET and accepts PUT.";
          };
          secretKeyFile = mkOption {
            type = types.strMatching "/.*";
            example = "/var/lib/nix-pgo/fleet.sec";
            description = ''
              This machine's signing key (`nix-store --generate-binary-cache-key NAME SECRET PUBLIC`),
              readable by the daemon's user `nix-pgo` only; NAME is the machine's name in the fleet.
            '';
          };
          aggregatorKey = mkOption {
            type = types.nullOr publicKey;
            default = null;
            description = "The aggregator's public key (its .pub file's content); required on a member.";
          };
          machineKeys = mkOption {
            type = types.listOf types.str;
            default = [ ];
            description = "Aggregator only: the machines' public keys, or the paths of their .pub files.";
          };
          profilingDuty = mkOption {
            type = types.nullOr (types.numbers.between 0 1);
            default = null;
            description = "Aggregator only: the share of the machines that keep profiling (null: the daemon's default, 0.1).";
          };
          fallback = mkOption {
            type = types.nullOr (types.enum [ "build" "wait" ]);
            default = null;
            description = "When the cache lacks the fleet's build of this machine's derivation: build it here, or wait (null: build).";
          };
          intervalSeconds = mkOption {
            type = types.nullOr types.ints.positive;
            default = null;
            description = "Seconds between two fleet rounds (null: the daemon's default, 300).";
          };
        };
      }
    );
  };

  /** The config file's `fleet` section: the values given (null and empty lists are the daemon's defaults). */
  section = fleet: removeAttrs fleet (builtins.filter (n: fleet.${n} == null || fleet.${n} == [ ]) (builtins.attrNames fleet));

  /** What Nix on the machine needs to substitute the fleet's builds. */
  nixSettings = fleet: {
    substituters = [ fleet.cache ];
    trusted-public-keys = if fleet.aggregatorKey != null then [ fleet.aggregatorKey ] else [ ];
  };
}
