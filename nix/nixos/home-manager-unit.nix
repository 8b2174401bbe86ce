/**
  The daemon's user service of the home-manager module, as a
  `systemd.user.services.<name>` value of home-manager: sections of
  key/value pairs that home-manager writes into the unit file as they are
  (a list as one line per value), without quoting anything. So a value with
  spaces must come quoted for systemd, and `%` doubled where it is not a
  specifier (systemd.syntax(5), systemd.unit(5) "Specifiers").

  # Example

  ```nix
  systemd.user.services.nix-pgo = import ./home-manager-unit.nix { … };
  ```
*/
{
  # The nix-pgo package (bin/nix-pgo).
  package,
  configFile,
  # What a change of the config file is (its store path): reloads.
  configSource,
  # Variables the daemon must not inherit.
  unset,
  # Whether the daemon evaluates a flake.
  flake ? false,
  kill ? "kill",
}:
let
  /**
    `NAME=VALUE` as one word of `Environment=`: in double quotes, with `\`
    and `"` escaped, and `%` doubled so that systemd expands no specifier.

    # Example

    ```nix
    quoteAssignment "A" "b c%"
    => "\"A=b c%%\""
    ```
  */
  quoteAssignment =
    name: value: "\"" + builtins.replaceStrings [ "\\" "\"" "%" ] [ "\\\\" "\\\"" "%%" ] "${name}=${value}" + "\"";
in
{
  Unit = {
    Description = "nix-pgo: collects profiles, builds and switches to optimized variants";
    X-Reload-Triggers = [ "${configSource}" ];
  };
  Service = {
    ExecStart = "${package}/bin/nix-pgo daemon --config ${configFile}";
    ExecReload = "${kill} -HUP $MAINPID";
    Restart = "on-failure";
    RestartSec = "10s";
    Nice = 10;
    UnsetEnvironment = unset;
    Environment =
      if flake then
        [ (quoteAssignment "NIX_CONFIG" "extra-experimental-features = nix-command flakes") ]
      else
        # %h: the user's home, a specifier on purpose.
        [ "NIX_PATH=%h/.nix-defexpr/channels" ];
  };
  Install.WantedBy = [ "default.target" ];
}
