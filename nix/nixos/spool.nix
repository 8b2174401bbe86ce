/**
  The system-wide spool: its directories (as NixOS `systemd.tmpfiles.settings`
  and as the tmpfiles.d lines NixOS writes from them), and the script that
  gives each known user its directories before anybody else can take them.

  ```
  SPOOL/                   0755 daemon user
  SPOOL/FMT/               1733 daemon user, default ACL: owner rwx, daemon user rwx, nobody else (FMT: llvm, gcda, bolt)
  SPOOL/FMT/UID/           the user UID: created by `prepareScript`, or by the user's program
  SPOOL/FMT/UID.XXXXXX/    the same user's directory when UID was taken by someone else
  ```

  1733 (sticky, write and search for all, no listing): every user and service
  can create a directory, nobody but its owner (and the daemon user, which
  owns FMT/) can delete or rename it, and nobody can list FMT/. Each program
  writes only into its own user's directory, which it checks before it writes
  (nix/runtime/spool-dir.h), so no name it writes can be made by another user
  first. The default ACL makes everything created below readable and writable
  by its owner and the daemon user only, whatever the creator's umask (a
  default ACL replaces the umask); the directories need x, so it is rwx for
  all three. The daemon attributes a file to the owner of its directory.

  # Example

  ```nix
  (import ./spool.nix { spoolDir = "/var/spool/nix-pgo"; user = "nix-pgo"; group = "nix-pgo"; }).rules
  => [ "'d' '/var/spool/nix-pgo' '0755' 'nix-pgo' 'nix-pgo' '-' " … ]
  ```
*/
{
  spoolDir,
  # The daemon's user and group.
  user,
  group,
}:
let
  inherit (builtins) attrNames concatLists concatStringsSep map;

  aclFor =
    perms:
    concatStringsSep "," [
      "default:user::${perms}"
      "default:group::---"
      "default:other::---"
      "default:user:${user}:${perms}"
      "default:mask::${perms}"
    ];

  directory = mode: { d = { inherit mode user group; }; };

  formats = [ "llvm" "gcda" "bolt" ];

  # `a+` adds these entries to what is there.
  settings = {
    ${spoolDir} = directory "0755";
  }
  // builtins.listToAttrs (
    map (format: {
      name = "${spoolDir}/${format}";
      value = directory "1733" // { "a+".argument = aclFor "rwx"; };
    }) formats
  );

  /**
    One tmpfiles.d line per entry, as NixOS renders `systemd.tmpfiles.settings`
    (nixos/modules/system/boot/systemd/tmpfiles.nix): attribute names in
    order, fields quoted, the argument last.
  */
  toRules =
    settings:
    concatLists (
      map (
        path:
        map (
          type:
          let
            entry = {
              mode = "-";
              user = "-";
              group = "-";
              age = "-";
              argument = "";
            } // settings.${path}.${type};
          in
          "'${type}' '${path}' '${entry.mode}' '${entry.user}' '${entry.group}' '${entry.age}' ${entry.argument}"
        ) (attrNames settings.${path})
      ) (attrNames settings)
    );
in
{
  inherit settings toRules;
  rules = toRules settings;

  /**
    Shell code (run as root before the daemon starts) that gives each named
    user its directory in each format directory (`FMT/UID`, owned by that
    user, with the ACL of `FMT/`), so nobody else can take the name first.
    Anything of that name that is not such a directory (a file, a link,
    another user's directory, made to catch the user's data) is removed
    first. Users that do not exist are skipped.
  */
  prepareScript =
    {
      users,
      # Absolute paths of the tools (coreutils).
      id ? "id",
      stat ? "stat",
      mkdir ? "mkdir",
      chown ? "chown",
      rm ? "rm",
    }:
    ''
      for user in ${concatStringsSep " " users}; do
        uid=$(${id} -u -- "$user" 2>/dev/null) || continue
        gid=$(${id} -g -- "$user")
        for format in ${concatStringsSep " " formats}; do
          dir="${spoolDir}/$format/$uid"
          if [ -L "$dir" ] || [ -e "$dir" ]; then
            if [ ! -L "$dir" ] && [ -d "$dir" ] && [ "$(${stat} -c %u -- "$dir")" = "$uid" ]; then
              continue
            fi
            echo "nix-pgo: $dir does not belong to $user (uid $uid); removing it" >&2
            ${rm} -rf --one-file-system -- "$dir"
          fi
          # mkdir inherits the default ACL of FMT/ (its mask rwx: mkdir asks
          # for 0777, which a default ACL does not cut by the umask); nobody
          # else can rename or remove it there (sticky), so the chown is on
          # this directory.
          if ${mkdir} -- "$dir"; then
            ${chown} -- "$uid:$gid" "$dir"
          else
            echo "nix-pgo: cannot create $dir for $user" >&2
          fi
        done
      done
    '';
}
