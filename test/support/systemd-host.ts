// Real-systemd hosts for tests: a Debian 12 root (made once per machine by
// scripts/make-host-image.sh and cached), a fresh overlay of it per host, booted
// with systemd-nspawn, driven through nsenter and systemd-run. Each host has its
// own /nix/store, users, units and (optionally) a private network shared with
// other hosts. See docs/testing.md.
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  rmdirSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { run, startBackground, type Background, type RunResult } from '../../src/process/run.js';
import { ToolError } from '../../src/errors/errors.js';
import { repoRoot } from './nix.js';

/** Where images, their .deb cache and the hosts' overlays live; one per machine, outside the repository. */
export const hostCacheDir = process.env.NIX_PGO_TEST_CACHE ?? '/var/cache/nix-pgo-test';
const imageScript = join(repoRoot, 'scripts/make-host-image.sh');
const hostsDir = join(hostCacheDir, 'hosts');

/** The PATH commands get inside a host, as systemd gives its services. */
const containerPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Why hosts cannot boot on this machine (the test then skips), or false. */
export function hostSkipReason(): string | false {
  if (process.getuid?.() !== 0) return 'booting systemd containers needs root';
  for (const [file, pkg] of [
    ['/usr/bin/systemd-nspawn', 'systemd-container'],
    ['/usr/sbin/debootstrap', 'debootstrap'],
    ['/usr/sbin/ip', 'iproute2'],
  ] as const) {
    if (!existsSync(file)) return `${file} is missing: apt-get install ${pkg} (scripts/ensure-deps.sh does as root)`;
  }
  if (!readFileSync('/proc/filesystems', 'utf8').includes('\toverlay\n')) return 'the kernel has no overlayfs';
  return false;
}

export interface HostImage {
  /** The recipe's hash: a changed scripts/make-host-image.sh makes a new image. */
  id: string;
  /** The ready root, never written to: hosts get an overlay of it. */
  root: string;
  /** Milliseconds spent making it in this call (0 when it was already there). */
  madeMs: number;
}

let imagePromise: Promise<HostImage> | undefined;

/** The cached root image, made first if this recipe has none yet (about a minute; another process making it is waited for). */
export function ensureHostImage(): Promise<HostImage> {
  imagePromise ??= makeImage().catch((error: unknown) => {
    imagePromise = undefined; // the next caller tries again
    throw error;
  });
  return imagePromise;
}

async function makeImage(): Promise<HostImage> {
  const id = createHash('sha256').update(readFileSync(imageScript)).digest('hex').slice(0, 16);
  const dir = join(hostCacheDir, 'images', id);
  let madeMs = 0;
  if (!existsSync(join(dir, 'ready'))) {
    const started = Date.now();
    await run(imageScript, [hostCacheDir, id], { timeoutMs: 30 * 60_000 });
    madeMs = Date.now() - started;
  }
  // Marks the image as in use, so that makes of other recipes do not prune it.
  const now = new Date();
  utimesSync(join(dir, 'last-used'), now, now);
  return { id, root: join(dir, 'root'), madeMs };
}

export interface Bind {
  /** A path on this machine. */
  source: string;
  /** Where it appears in the host; the same path by default. */
  target?: string;
  /** Read-only unless false. */
  readOnly?: boolean;
}

export interface HostOptions {
  /** The host name (also in /etc/hostname and, on a network, in the other hosts' /etc/hosts). */
  name: string;
  /** More than the default binds: the repository (read-only, same path) and this Node (read-only, as /usr/bin/node). */
  binds?: Bind[];
  /** A network from createNetwork that names this host; without it the host has only loopback. */
  network?: HostNetwork;
}

export interface ExecOptions {
  /**
   * Run as this user through PAM's `login` stack, as `machinectl shell` does (a
   * systemd-run unit with PAMName=login): pam_env and pam_systemd apply, the
   * command runs in a logind session with XDG_RUNTIME_DIR, and the user's
   * systemd starts. Without it: root, entered with nsenter, no session.
   */
  user?: string;
  /** With `user`: through the user's login shell (`$SHELL -l`), so /etc/profile and ~/.profile apply too. */
  loginShell?: boolean;
  /** Added to the environment (root: PATH, HOME and LANG; a user: what PAM and systemd give). */
  env?: Record<string, string>;
  /** Working directory; a user's home by default, / for root. */
  cwd?: string;
  input?: string | Buffer;
  timeoutMs?: number;
}

export interface Host {
  name: string;
  /** The container's systemd (PID 1 inside), as this machine sees it. */
  systemdPid: number;
  /** The host's address on its network, if it has one. */
  address?: string;
  /** Milliseconds from the overlay to a reachable systemd, and for the copy (overlay) alone. */
  timings: { copyMs: number; bootMs: number };
  /** Runs argv inside (never a shell string); throws a ToolError on a non-zero exit. */
  exec(argv: readonly string[], options?: ExecOptions): Promise<RunResult>;
  /** Writes a file inside as root, creating missing directories (root's); `mode` is octal, `owner` is `user` or `user:group`. */
  writeFile(path: string, content: string | Buffer, mode?: string | number, owner?: string): Promise<void>;
  readFile(path: string): Promise<string>;
  /** `systemctl ARGS` as root; its stdout. */
  systemctl(...args: string[]): Promise<string>;
  /** What a unit wrote to the journal (message text only). */
  journal(unit: string): Promise<string>;
  /** Waits until systemd says `running`; throws with the failed units and their logs on `degraded` or a timeout. */
  waitRunning(timeoutMs?: number): Promise<void>;
  /** The failed units, one name each. */
  failedUnits(): Promise<string[]>;
  /** Adds a login user with a home directory, also in these groups (`nix-users` to build through nix-daemon); returns its uid. */
  addUser(name: string, options?: { groups?: string[] }): Promise<number>;
  /** Starts `systemd --user` for a user and keeps it running without a session (lingering), as a user's services need. */
  startUserManager(user: string): Promise<void>;
  /** Stops the container (poweroff, then kill), removes the overlay; idempotent. Milliseconds it took. */
  stop(): Promise<number>;
}

/** Boots a fresh copy of the image. Call `stop()` in an `after` hook. */
export async function bootHost(options: HostOptions): Promise<Host> {
  const image = await ensureHostImage();
  await sweepStaleHosts();
  const machine = `${options.name}-${randomBytes(3).toString('hex')}`;
  const dir = join(hostsDir, machine);
  const root = join(dir, 'root');
  for (const sub of ['upper', 'work', 'root']) mkdirSync(join(dir, sub), { recursive: true });
  const owner: HostOwner = { testPid: process.pid };
  writeOwner(dir, owner);

  let nspawn: Background | undefined;
  const stop = async (): Promise<number> => {
    const started = Date.now();
    if (nspawn) await stopContainer(nspawn, machine, owner.systemdPid);
    nspawn = undefined;
    await removeCgroups(machine);
    await removeHostDir(dir);
    return Date.now() - started;
  };

  try {
    const copyStarted = Date.now();
    await run('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${image.root},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`,
      root,
    ]);
    const copyMs = Date.now() - copyStarted;
    writeIdentity(root, options.name, options.network);
    const bootStarted = Date.now();
    // nspawn keeps its locks and mount propagation there, and does not create it.
    mkdirSync('/run/systemd/nspawn', { recursive: true });
    nspawn = startInOwnCgroup(machine, () =>
      startBackground('systemd-nspawn', nspawnArguments(options, root, machine), { env: nspawnEnvironment() }),
    );
    owner.nspawnPid = nspawn.pid;
    writeOwner(dir, owner);
    owner.systemdPid = await findContainerSystemd(nspawn);
    writeOwner(dir, owner);
    const timings = { copyMs, bootMs: Date.now() - bootStarted };
    return makeHost(options.name, owner.systemdPid, options.network?.address(options.name), timings, stop);
  } catch (error) {
    const output = nspawn?.output() ?? '';
    await stop();
    if (error instanceof Error && output)
      error.message += `\nsystemd-nspawn said:\n${output.trimEnd().split('\n').slice(-30).join('\n')}`;
    throw error;
  }
}

function nspawnArguments(options: HostOptions, root: string, machine: string): string[] {
  const binds: Bind[] = [
    { source: repoRoot },
    { source: process.execPath, target: '/usr/bin/node' },
    ...(options.binds ?? []),
  ];
  return [
    '--directory',
    root,
    '--machine',
    machine,
    '--hostname',
    options.name,
    '--boot',
    // Without both, nspawn fails when this machine's PID 1 is not systemd.
    '--register=no',
    '--keep-unit',
    '--console=pipe',
    ...(options.network
      ? [`--network-namespace-path=${options.network.namespacePath(options.name)}`]
      : ['--private-network']),
    ...binds.map(
      (b) =>
        `--bind${b.readOnly === false ? '' : '-ro'}=${escapeColons(b.source)}:${escapeColons(b.target ?? b.source)}`,
    ),
  ];
}

/** nspawn's environment: the container gets a cgroup v2 tree, as systemd ≥ 256 (and so NixOS) requires, also where this machine is hybrid. */
function nspawnEnvironment(): NodeJS.ProcessEnv {
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers') || existsSync('/sys/fs/cgroup/unified');
  return v2 ? { ...process.env, SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: '1' } : process.env;
}

function makeHost(
  name: string,
  systemdPid: number,
  address: string | undefined,
  timings: Host['timings'],
  stop: () => Promise<number>,
): Host {
  const enter = ['--target', String(systemdPid), '--all', '--'];

  const exec: Host['exec'] = (argv, options = {}) => {
    const timeoutMs = options.timeoutMs ?? 300_000;
    if (options.user === undefined) {
      // nsenter, not a unit: tests drive a host before its systemd is up, and root needs no session.
      const env = { PATH: containerPath, HOME: '/root', LANG: 'C.UTF-8', ...options.env };
      const chdir = options.cwd ? ['env', `--chdir=${options.cwd}`] : [];
      return run('nsenter', [...enter, ...chdir, ...argv], { env, input: options.input, timeoutMs });
    }
    // The login shell gets argv as its positional parameters: a fixed script, nothing of argv is parsed as shell.
    const command = options.loginShell ? ['/bin/bash', '-l', '-c', 'exec "$@"', 'login-shell', ...argv] : argv;
    return run(
      'nsenter',
      [
        ...enter,
        'systemd-run',
        '--quiet',
        '--pipe',
        '--wait',
        '--collect',
        '--service-type=exec',
        '--property',
        `User=${options.user}`,
        '--property',
        'PAMName=login',
        '--property',
        `WorkingDirectory=${options.cwd ?? '~'}`,
        ...Object.entries(options.env ?? {}).flatMap(([k, v]) => ['--setenv', `${k}=${v}`]),
        '--',
        ...command,
      ],
      { env: { PATH: containerPath }, input: options.input, timeoutMs },
    );
  };

  const systemctl = async (...args: string[]) => (await exec(['systemctl', ...args])).stdout;

  const failedUnits = async () =>
    (await systemctl('list-units', '--failed', '--plain', '--no-legend', '--no-pager'))
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[0] ?? '')
      .filter((unit) => unit !== '');

  const explainFailed = async (): Promise<string> => {
    const lines: string[] = [];
    for (const unit of await failedUnits()) {
      const log = (
        await exec(['journalctl', '--no-pager', '-n', '15', '-u', unit]).catch((e: Error) => ({ stdout: e.message }))
      ).stdout;
      lines.push(`${unit}:`, log.trimEnd());
    }
    return lines.join('\n');
  };

  return {
    name,
    systemdPid,
    address,
    timings,
    exec,
    systemctl,
    failedUnits,
    async writeFile(path, content, mode = '0644', owner) {
      // tee reads its stdin as it is; `install /dev/stdin` cannot open the socket Node gives a child as stdin.
      await exec(['install', '-D', '-m', typeof mode === 'number' ? mode.toString(8) : mode, '/dev/null', path]);
      await exec(['tee', '--', path], { input: content });
      if (owner) await exec(['chown', owner.includes(':') ? owner : `${owner}:`, path]);
    },
    async readFile(path) {
      return (await exec(['cat', '--', path])).stdout;
    },
    async journal(unit) {
      // The journal takes what a unit printed asynchronously; --sync makes it visible first.
      await exec(['journalctl', '--sync']);
      return (await exec(['journalctl', '--no-pager', '--output=cat', '--unit', unit])).stdout;
    },
    async waitRunning(timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      let state = 'unreachable';
      for (;;) {
        // `is-system-running` exits non-zero while starting; `show` prints the state either way.
        state = await systemctl('show', '--property=SystemState', '--value').then(
          (out) => out.trim(),
          () => 'unreachable',
        );
        if (state === 'running') return;
        if (state === 'degraded') throw new Error(`${name} is degraded; failed units:\n${await explainFailed()}`);
        if (Date.now() > until) throw new Error(`${name} is still ${state} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async addUser(user, options = {}) {
      const groups = options.groups?.length ? ['--groups', options.groups.join(',')] : [];
      await exec(['useradd', '--create-home', '--shell', '/bin/bash', '--user-group', ...groups, user]);
      return Number((await exec(['id', '-u', user])).stdout.trim());
    },
    async startUserManager(user) {
      const uid = (await exec(['id', '-u', user])).stdout.trim();
      await exec(['loginctl', 'enable-linger', user]);
      const until = Date.now() + 30_000;
      for (;;) {
        const state = (await systemctl('show', '--property=ActiveState', '--value', `user@${uid}.service`)).trim();
        if (state === 'active') return;
        if (state === 'failed' || Date.now() > until)
          throw new Error(`user@${uid}.service of ${user} is ${state}:\n${await explainFailed()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop,
  };
}

/** nspawn's PID 1 child, once it has exec'd systemd; nspawn's own output if it exits first. */
async function findContainerSystemd(nspawn: Background): Promise<number> {
  let exited: number | null | undefined;
  void nspawn.exited.then((code) => (exited = code));
  const until = Date.now() + 30_000;
  for (;;) {
    const pid = childNamed(nspawn.pid, 'systemd');
    if (pid !== undefined) return pid;
    if (exited !== undefined) throw new Error(`systemd-nspawn exited with ${exited} before systemd started`);
    if (Date.now() > until) throw new Error('systemd did not start in the container within 30 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A child process of `parent` whose command name is `comm`, read from /proc (no process to start). */
function childNamed(parent: number, comm: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // The name is in parentheses and may hold spaces; the fields after it are fixed.
    const close = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, close);
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    if (ppid === parent && name === comm) return Number(entry);
  }
  return undefined;
}

/**
 * SIGTERM makes nspawn power the container off cleanly; a second one, then
 * SIGKILL, if that takes too long. A killed nspawn leaves the container running,
 * so its systemd is killed too (which ends its PID namespace).
 */
async function stopContainer(nspawn: Background, machine: string, systemdPid: number | undefined): Promise<void> {
  const within = async (ms: number) => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
    const stopped = await Promise.race([nspawn.exited.then(() => true), late]);
    clearTimeout(timer); // a pending timer would keep the test process alive
    return stopped;
  };
  nspawn.kill('SIGTERM');
  if (await within(10_000)) return;
  nspawn.kill('SIGTERM');
  if (await within(5_000)) return;
  nspawn.kill('SIGKILL');
  await nspawn.exited;
  if (systemdPid !== undefined) killIfNamed(systemdPid, 'systemd');
  killCgroups(machine);
}

/** SIGKILL to a process we started, unless its pid now names another program. */
function killIfNamed(pid: number, comm: string): void {
  if (commOf(pid) === comm) process.kill(pid, 'SIGKILL');
}

function escapeColons(path: string): string {
  return path.replace(/:/g, '\\:');
}

/** /etc/hostname and /etc/hosts of a host, written into its overlay before it boots. */
function writeIdentity(root: string, name: string, network: HostNetwork | undefined): void {
  writeFileSync(join(root, 'etc/hostname'), `${name}\n`);
  const peers = network ? network.hosts.map((h) => `${network.address(h)}\t${h}\n`).join('') : '';
  const hosts = readFileSync(join(root, 'etc/hosts'), 'utf8');
  writeFileSync(join(root, 'etc/hosts'), `${hosts}${network ? '' : `127.0.1.1\t${name}\n`}${peers}`);
}

/** Who made a host directory, so that another test process can tell it is stale. */
interface HostOwner {
  testPid: number;
  nspawnPid?: number;
  systemdPid?: number;
}

function writeOwner(dir: string, owner: HostOwner): void {
  writeFileSync(join(dir, 'owner.json'), JSON.stringify(owner));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function isMounted(path: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[4] === path);
}

async function removeHostDir(dir: string): Promise<void> {
  const root = join(dir, 'root');
  if (isMounted(root)) await run('umount', [root]);
  // Never remove through a mounted overlay: that would write whiteouts, and a bind mount would reach outside.
  if (isMounted(root)) throw new Error(`${root} is still mounted; not removing ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  // nspawn removes its propagation directory when it exits cleanly only.
  rmSync(join('/run/systemd/nspawn/propagate', basename(dir)), { recursive: true, force: true });
}

/** Hosts whose test process died without stop(): their container is killed and their overlay removed. */
async function sweepStaleHosts(): Promise<void> {
  if (!existsSync(hostsDir)) return;
  for (const machine of readdirSync(hostsDir)) {
    const dir = join(hostsDir, machine);
    let owner: HostOwner;
    try {
      owner = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')) as HostOwner;
    } catch {
      continue; // being created right now, or not ours
    }
    if (isAlive(owner.testPid)) continue;
    if (owner.nspawnPid !== undefined) killIfNamed(owner.nspawnPid, 'systemd-nspawn');
    if (owner.systemdPid !== undefined) killIfNamed(owner.systemdPid, 'systemd');
    killCgroups(machine);
    // Retried by the next sweep if something is still busy.
    await removeCgroups(machine).catch(() => undefined);
    await removeHostDir(dir).catch(() => undefined);
  }
}

/**
 * A cgroup directory of this container in each hierarchy its systemd may use
 * (cgroup v2, v1's name=systemd), and the one this process is in there.
 */
function cgroupPlaces(machine: string): { dir: string; home: string }[] {
  const own = readFileSync('/proc/self/cgroup', 'utf8');
  const places: { dir: string; home: string }[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [mountFields, fsFields] = line.split(' - ');
    if (fsFields === undefined) continue;
    const [, root, mount] = (mountFields ?? '').split(' ').slice(2);
    const [type, , superOptions = ''] = fsFields.split(' ');
    let path: string | undefined;
    if (type === 'cgroup2') path = /^0::(.*)$/m.exec(own)?.[1];
    else if (type === 'cgroup' && superOptions.split(',').includes('name=systemd'))
      path = /^\d+:name=systemd:(.*)$/m.exec(own)?.[1];
    if (path === undefined || root !== '/' || mount === undefined) continue;
    places.push({ dir: join(mount, 'nix-pgo-test', machine), home: join(mount, path) });
  }
  return places;
}

/**
 * Starts nspawn in a cgroup of its own. With --keep-unit nspawn stays in the
 * cgroup it starts in, which without systemd on this machine is ours: every
 * container's systemd would then share one tree and stop each other's units.
 * This process moves there for the synchronous spawn, then back.
 */
function startInOwnCgroup(machine: string, start: () => Background): Background {
  const places = cgroupPlaces(machine);
  for (const place of places) mkdirSync(place.dir, { recursive: true });
  const moveTo = (dir: string) => writeFileSync(join(dir, 'cgroup.procs'), String(process.pid));
  try {
    for (const place of places) moveTo(place.dir);
    return start();
  } finally {
    for (const place of places) moveTo(place.home);
  }
}

/** Kills whatever is left in a container's cgroup v2 tree (cgroup.kill, Linux ≥ 5.14). */
function killCgroups(machine: string): void {
  for (const { dir } of cgroupPlaces(machine)) {
    const kill = join(dir, 'cgroup.kill');
    if (existsSync(kill)) writeFileSync(kill, '1');
  }
}

/** Removes a container's cgroup directories (rmdir only: cgroupfs has no files to delete), waiting briefly for exiting processes. */
async function removeCgroups(machine: string): Promise<void> {
  const removeTree = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }))
      if (entry.isDirectory()) removeTree(join(dir, entry.name));
    rmdirSync(dir);
  };
  for (const { dir } of cgroupPlaces(machine)) {
    for (let attempt = 0; existsSync(dir); attempt++) {
      try {
        removeTree(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EBUSY' || attempt >= 50) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

export interface HostNetwork {
  /** The host names this network has an address for, in order. */
  hosts: readonly string[];
  address(host: string): string;
  /** The network namespace a host's container runs in (`--network-namespace-path`). */
  namespacePath(host: string): string;
  /** Deletes the namespaces (and with them the links); idempotent. */
  remove(): Promise<void>;
}

let networks = 0;

/**
 * A private network for these hosts: each gets a network namespace with `eth0`
 * at 10.231.0.N/24 (N from 1, in order), linked to a bridge that lives in a
 * namespace of its own. Nothing else is on it: not this machine, not the internet.
 */
export async function createNetwork(options: { hosts: readonly string[] }): Promise<HostNetwork> {
  await sweepStaleNetworks();
  const prefix = `nixpgo-${process.pid}-${networks++}`;
  const switchNs = `${prefix}-sw`;
  const namespaceOf = (host: string) => `${prefix}-${options.hosts.indexOf(host)}`;
  const address = (host: string) => {
    const index = options.hosts.indexOf(host);
    if (index < 0) throw new Error(`host ${host} is not on network ${prefix} (${options.hosts.join(', ')})`);
    return `10.231.0.${index + 1}`;
  };
  const network: HostNetwork = {
    hosts: options.hosts,
    address,
    namespacePath: (host) => {
      address(host); // throws for a host not on this network
      return `/run/netns/${namespaceOf(host)}`;
    },
    async remove() {
      for (const ns of [switchNs, ...options.hosts.map(namespaceOf)]) {
        if (existsSync(`/run/netns/${ns}`)) await run('ip', ['netns', 'delete', ns]);
      }
    },
  };
  try {
    await run('ip', ['netns', 'add', switchNs]);
    await run('ip', ['-n', switchNs, 'link', 'add', 'br0', 'type', 'bridge']);
    await run('ip', ['-n', switchNs, 'link', 'set', 'br0', 'up']);
    for (const [index, host] of options.hosts.entries()) {
      const ns = namespaceOf(host);
      const port = `port${index}`;
      await run('ip', ['netns', 'add', ns]);
      await run('ip', ['link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', port, 'netns', switchNs]);
      await run('ip', ['-n', switchNs, 'link', 'set', port, 'master', 'br0', 'up']);
      await run('ip', ['-n', ns, 'address', 'add', `${address(host)}/24`, 'dev', 'eth0']);
      await run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
  } catch (error) {
    await network.remove();
    throw error;
  }
  return network;
}

/** Namespaces of networks whose test process died without remove(). */
async function sweepStaleNetworks(): Promise<void> {
  if (!existsSync('/run/netns')) return;
  for (const ns of readdirSync('/run/netns')) {
    const owner = /^nixpgo-(\d+)-/.exec(ns)?.[1];
    if (owner !== undefined && !isAlive(Number(owner))) {
      await run('ip', ['netns', 'delete', ns]).catch((error: unknown) => {
        if (!(error instanceof ToolError)) throw error;
      });
    }
  }
}
