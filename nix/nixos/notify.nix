/**
  Telling the user: the daemon sends each event (switched, build-failed, …)
  as one JSON object to its `notify.hook`; every event also goes to the
  journal through the daemon's log, and `nix-pgo status` shows the state.

  The modules' hook shows the events a user cares about as desktop
  notifications, then passes every event on to the hook of the user's
  `settings.notify.hook`, if any.

  - NixOS: the daemon runs as its own user, which cannot reach anybody's
    session bus. Its hook appends those events to a file in its runtime
    directory (/run/nix-pgo/events.jsonl, readable by all), and a user service
    in every graphical session follows that file and shows them
    (`relayScript`).
  - home-manager: the daemon runs as the user, so its hook shows them itself
    when the session bus exists.

  # Example

  ```nix
  (import ./notify.nix).summary
  => "…jq program…"
  ```
*/
let
  /**
    A jq program: one event in, nothing (an event not worth a notification)
    or one line "SUMMARY<TAB>BODY" out. `rebuild` says what makes a switch
    reach the rest of the system (e.g. "the next nixos-rebuild").
  */
  summary =
    { rebuild }:
    ''
      def pkg: (.package // "a package");
      if .type == "switched" then
        "nix-pgo: \(pkg) now runs its \(.variant) build\tNew shells use it now; services and other packages use it after ${rebuild}."
      elif .type == "build-failed" then
        "nix-pgo: building \(pkg) failed\t\(.error // "" | gsub("[\t\n]"; " ")) (tried again at \(.retryAt // "a later time"); log: \(.logFile // "nix-pgo status"))"
      elif .type == "ready" then
        "nix-pgo: \(pkg) has enough profile data\tRun nix-pgo build \(pkg) to build and switch to its optimized variant."
      elif .type == "rolled-back" then
        "nix-pgo: rolled back\tgeneration \(.generation)"
      elif .type == "disk-cap" then
        "nix-pgo: the \(.area) is full\t\(.usedBytes) of \(.capBytes) bytes; see nix-pgo status."
      else empty end
    '';

  /** `s` as one shell word. */
  shellQuote = s: "'" + builtins.replaceStrings [ "'" ] [ "'\\''" ] s + "'";

  /** Which events the NixOS hook writes for the desktops (the others stay in the journal). */
  desktopTypes = [ "switched" "build-failed" "ready" "rolled-back" "disk-cap" ];
in
{
  inherit summary desktopTypes shellQuote;

  /**
    The hook's shell code. `events` (a file) or `notifySend` (a command)
    says where desktop notifications go; `forward` is the user's own hook.
  */
  hookScript =
    {
      jq,
      events ? null,
      notifySend ? null,
      forward ? null,
      rebuild ? "the next nixos-rebuild",
    }:
    ''
      event=$(${jq} -c . || true)
      [ -n "$event" ] || exit 0
    ''
    + (
      if events != null then
        ''
          case $(printf '%s\n' "$event" | ${jq} -r .type) in
            ${builtins.concatStringsSep "|" desktopTypes}) printf '%s\n' "$event" >>${events} || true ;;
          esac
        ''
      else
        ""
    )
    + (
      if notifySend != null then
        ''
          bus="''${XDG_RUNTIME_DIR:-/run/user/$(id -u)}/bus"
          if [ -S "$bus" ]; then
            printf '%s\n' "$event" | ${jq} -r ${shellQuote (summary { inherit rebuild; })} |
              while IFS="$(printf '\t')" read -r title body; do
                DBUS_SESSION_BUS_ADDRESS="''${DBUS_SESSION_BUS_ADDRESS:-unix:path=$bus}" ${notifySend} --app-name=nix-pgo "$title" "$body" || true
              done
          fi
        ''
      else
        ""
    )
    + (if forward != null then "printf '%s\\n' \"$event\" | ${forward}\n" else "");

  /**
    The user service's shell code (NixOS): follows the daemon's events file
    from its end and shows each event worth it.
  */
  relayScript =
    {
      jq,
      events,
      notifySend,
      tail,
      rebuild ? "the next nixos-rebuild",
    }:
    ''
      ${tail} -n 0 -F ${events} 2>/dev/null |
        ${jq} --unbuffered -r ${shellQuote (summary { inherit rebuild; })} |
        while IFS="$(printf '\t')" read -r title body; do
          ${notifySend} --app-name=nix-pgo "$title" "$body" || true
        done
    '';
}
