// A NixOS machine's nix-pgo part on a real-systemd host (test/support/systemd-host.ts): the files
// nix/tests/nixos-host.nix renders (units, tmpfiles, PAM environment, users, /etc entries) built
// inside the host and installed the way NixOS' activation installs them. See docs/testing.md.
import { join } from 'node:path';
import type { Host } from './systemd-host.js';
import { repoRoot } from './nix.js';

/** What NixOS has and the Debian image does not, set up once per host (each line says what it mirrors). */
export async function prepareNixosHost(host: Host): Promise<void> {
  // NixOS' nix-daemon takes every user (allowed-users = *); Debian's socket directory only the group nix-users.
  await host.writeFile('/etc/tmpfiles.d/nix-daemon.conf', 'd /nix/var/nix/daemon-socket 0755 root root -\n');
  await host.exec(['systemd-tmpfiles', '--create', '/etc/tmpfiles.d/nix-daemon.conf']);
  // nixos/modules/security/pam.nix: every service's session reads the system environment with pam_env.
  const pamEnv = 'session required pam_env.so conffile=/etc/pam/environment readenv=0\n';
  const login = await host.readFile('/etc/pam.d/login');
  await host.writeFile(
    '/etc/pam.d/login',
    login.replace('@include common-session\n', `${pamEnv}@include common-session\n`),
  );
  const userManager = await host.readFile('/usr/lib/pam.d/systemd-user');
  await host.writeFile(
    '/etc/pam.d/systemd-user',
    userManager.replace('session  optional pam_systemd.so', `${pamEnv}session  optional pam_systemd.so`),
  );
  // nixos/modules/programs/bash: login shells source /etc/set-environment (Debian's /etc/profile sets its own PATH first).
  await host.writeFile(
    '/etc/profile.d/nixos-set-environment.sh',
    'if [ -z "$__NIXOS_SET_ENVIRONMENT_DONE" ] && [ -f /etc/set-environment ]; then . /etc/set-environment; fi\n',
  );
}

export interface RenderedSystem {
  /** The store path of nix/tests/nixos-host.nix's `rendered`, in the host's store. */
  path: string;
}

/** nix-build of the machine's files inside the host (into its own store), as root. */
export async function buildSystem(host: Host, attr = 'rendered'): Promise<RenderedSystem> {
  const { stdout } = await host.exec(
    [
      'nix-build',
      '--no-out-link',
      join(repoRoot, 'nix/tests/nixos-host.nix'),
      '-A',
      attr,
      '--argstr',
      'repo',
      repoRoot,
    ],
    { timeoutMs: 900_000 },
  );
  return { path: stdout.trim() };
}

interface UsersJson {
  users: Record<
    string,
    { isSystemUser: boolean; isNormalUser: boolean; group: string; home: string; description: string }
  >;
  groups: Record<string, unknown>;
}

/**
 * Installs a rendered system as NixOS' activation does: the users and groups
 * (update-users-groups.pl), each file of etc/ as a link into the system
 * (etc.nix; here merged into Debian's /etc), /run/current-system, the tmpfiles
 * rules; then systemd reloads its units (switch-to-configuration).
 */
export async function installSystem(host: Host, system: RenderedSystem): Promise<void> {
  const users = JSON.parse(await host.readFile(join(system.path, 'users.json'))) as UsersJson;
  for (const group of Object.keys(users.groups)) await host.exec(['groupadd', '--force', '--system', group]);
  for (const [name, u] of Object.entries(users.users)) {
    const exists = await host.exec(['id', '-u', name]).then(
      () => true,
      () => false,
    );
    if (exists) continue;
    await host.exec(
      u.isNormalUser
        ? ['useradd', '--create-home', '--home-dir', u.home, '--gid', u.group, '--shell', '/bin/bash', name]
        : [
            'useradd',
            '--system',
            '--home-dir',
            u.home,
            '--no-create-home',
            '--gid',
            u.group,
            '--shell',
            '/usr/sbin/nologin',
            '--comment',
            u.description,
            name,
          ],
    );
  }
  // Each file a link to the rendered one (a unit file's link resolves into the store).
  await host.exec(['cp', '--recursive', '--symbolic-link', '--remove-destination', `${system.path}/etc/.`, '/etc/']);
  await host.exec(['ln', '--symbolic', '--force', '--no-dereference', system.path, '/run/current-system']);
  await host.systemctl('daemon-reload');
  await host.exec(['systemd-tmpfiles', '--create', '--remove']);
}
