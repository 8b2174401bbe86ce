/**
  The system-wide spool: its directories (as NixOS `systemd.tmpfiles.settings`
  and as the tmpfiles.d lines NixOS writes from them), and the script that
  gives each user a GCC directory of its own before anybody else can take it.

  ```
  SPOOL/           0755 daemon user
  SPOOL/llvm/      1733 daemon user, default ACL: owner rw, daemon user rw, nobody else
  SPOOL/gcda/      1733 daemon user, default ACL: owner rwx, daemon user rwx, nobody else
  SPOOL/gcda/UID/  the user UID (created by `prepareScript`, or by the program)
  SPOOL/bolt/      1733 daemon user, default ACL: owner rw, daemon user rw, nobody else
  ```

  1733 (sticky, write and search for all, no listing): every user and service
  can create files, nobody but the owner (and the daemon user, which owns the
  directory) can delete or rename them, and nobody can list them. The default
  ACL makes every file created below readable and writable by its owner and
  the daemon user only, whatever the creator's umask (a default ACL replaces
  the umask), so nobody reads another's data. The daemon attributes a raw
  profile to its file's owner, a gcda file to the owner of its `gcda/UID/`.

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

  settings = {
    ${spoolDir} = directory "0755";
    # Raw profiles are files: rw. `a+` adds these entries to what is there.
    "${spoolDir}/llvm" = directory "1733" // { "a+".argument = aclFor "rw-"; };
    # gcda trees have directories below, which need x.
    "${spoolDir}/gcda" = directory "1733" // { "a+".argument = aclFor "rwx"; };
    # BOLT-instrumented programs write <build id>.<pid>.fdata here (baked in: the library's defaultProfileDir is the spool).
    "${spoolDir}/bolt" = directory "1733" // { "a+".argument = aclFor "rw-"; };
  };

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
    user its `gcda/UID/` directory, owned by that user, with the ACL of
    `gcda/`. A directory of that name owned by anybody else (made to catch
    the user's data) is removed first. Users that do not exist are skipped.
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
      gcda=${spoolDir}/gcda
      for user in ${concatStringsSep " " users}; do
        uid=$(${id} -u -- "$user" 2>/dev/null) || continue
        gid=$(${id} -g -- "$user")
        dir="$gcda/$uid"
        if [ -L "$dir" ] || [ -e "$dir" ]; then
          if [ ! -L "$dir" ] && [ -d "$dir" ] && [ "$(${stat} -c %u -- "$dir")" = "$uid" ]; then
            continue
          fi
          echo "nix-pgo: $dir does not belong to $user (uid $uid); removing it" >&2
          ${rm} -rf --one-file-system -- "$dir"
        fi
        # mkdir inherits the default ACL of gcda/; nobody else can rename
        # or remove it there (sticky), so the chown is on this directory.
        if ${mkdir} -- "$dir"; then
          ${chown} -- "$uid:$gid" "$dir"
        else
          echo "nix-pgo: cannot create $dir for $user" >&2
        fi
      done
    '';
}
