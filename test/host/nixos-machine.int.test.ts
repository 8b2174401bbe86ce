// The NixOS module's machine on a real systemd (PID 1 of a container, Nix inside): the files
// nix/tests/nixos-host.nix renders with nix/tests/nixos-render.nix (a faithful copy of NixOS'
// rendering; where nixpkgs' lib is on NIX_PATH, also checked against the module's own evaluation)
// installed as NixOS' activation installs them, and the whole loop: the daemon as its unit; two
// login users through PAM; a DynamicUser service under ProtectSystem=strict and a user unit, each
// running a clang and a GCC program; exact counts per contributor; the optimized builds; root's
// activation; every one of them on the optimized variant after the switch (services after what
// the next nixos-rebuild installs). Then the regressions of issue 20: what each saw in its
// environment, the daemon's user trying to make root and another user run its code, home-manager's
// quoting, the module's assertions. Skipped only where containers cannot run (docs/testing.md).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { run } from '../../src/process/run.js';
import { repoRoot } from '../support/nix.js';
import { buildSystem, installSystem, prepareNixosHost, type RenderedSystem } from '../support/nixos-host.js';
import { findNixpkgsLib } from '../nixos/nixos-support.js';
import { bootHost, hostSkipReason, type Host } from '../support/systemd-host.js';

const skip = hostSkipReason();
const cli = join(repoRoot, 'dist/src/cli/main.js');
const hostFile = join(repoRoot, 'nix/tests/nixos-host.nix');
const ROOT_PROFILE = '/var/lib/nix-pgo-system/profile';
const ROOT_LOCK = '/var/lib/nix-pgo-system/pgo-lock.json';
const PACKAGES = ['calc', 'wordfreq'] as const;

/** Runs per program of each contributor (nix/tests/nixos-host.nix's `runs`: bob's user unit runs once more). */
const RUNS = { alice: 2, bob: 3, service: 1, userUnit: 1 } as const;

/** What one run of nix-pgo-probe said (see nix/tests/nixos-host.nix). */
interface ProbeReport {
  uid: number;
  env: Record<string, string | null>;
  ran: Record<string, string>;
}

function parseProbe(text: string): ProbeReport {
  const report: ProbeReport = { uid: -1, env: {}, ran: {} };
  for (const line of text.split('\n')) {
    const uid = /^probe uid=(\d+)$/.exec(line);
    if (uid) report.uid = Number(uid[1]);
    const set = /^probe env ([A-Z_]+)=(.*)$/.exec(line);
    if (set) report.env[set[1]!] = set[2]!;
    const unset = /^probe env ([A-Z_]+) unset$/.exec(line);
    if (unset) report.env[unset[1]!] = null;
    const ran = /^probe ran ([a-z]+)=(.*)$/.exec(line);
    if (ran) report.ran[ran[1]!] = ran[2]!;
  }
  assert.notEqual(report.uid, -1, `no probe output in:\n${text}`);
  return report;
}

interface StatusPackage {
  name: string;
  state: string;
  activeVariant: string | null;
  activePath: string | null;
  runs: number;
  contributors: { uid: number; runs: number }[];
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

describe('the NixOS module on a real systemd', { skip }, () => {
  let host: Host;
  let system: RenderedSystem;
  const uids: Record<string, number> = {};
  /** What each contributor saw and ran, before and after the switch. */
  const seen: Record<string, { before?: ProbeReport; after?: ProbeReport }> = {};

  const status = async (): Promise<StatusPackage[]> =>
    (
      JSON.parse(
        (await host.exec(['node', cli, 'status', '--json', '--config', '/etc/nix-pgo/config.json'])).stdout,
      ) as { packages: StatusPackage[] }
    ).packages;
  // Through a shell, so the program is found on the session's PATH (systemd-run looks up its argv[0] on its own).
  const probeAs = async (user: string, runs: number, loginShell = false) =>
    parseProbe(
      (await host.exec(['sh', '-c', 'exec nix-pgo-probe "$@"', 'sh', String(runs)], { user, loginShell })).stdout,
    );
  /** The nth probe report a unit wrote to the journal (which may take it a moment after the unit finished). */
  const nthReport = async (nth: number, read: () => Promise<string>) => {
    let text = '';
    try {
      return await waitFor(`probe report ${nth} in the journal`, 30_000, async () => {
        text = await read();
        const runs = text.split(/^(?=probe uid=)/m).filter((r) => r.startsWith('probe uid='));
        const report = runs[nth - 1];
        return report?.includes('probe ran wordfreq=') ? parseProbe(report) : undefined;
      });
    } catch (error) {
      const recent = (await host.exec(['journalctl', '--no-pager', '-n', '40'])).stdout;
      throw new Error(`${(error as Error).message}; the journal has:\n${text}\nits last lines:\n${recent}`);
    }
  };
  const serviceReport = (nth: number, unit: string) => nthReport(nth, () => host.journal(unit));
  const userUnitReport = (nth: number, user: string, unit: string) =>
    nthReport(nth, async () => {
      await host.exec(['journalctl', '--sync']);
      return (
        // --user-unit would match root's own user units: a user's are matched by their fields.
        (
          await host.exec([
            'journalctl',
            '--no-pager',
            '--output=cat',
            `_UID=${uids[user]}`,
            `_SYSTEMD_USER_UNIT=${unit}`,
          ])
        ).stdout
      );
    });
  /** A value of the host's machine (nix/tests/nixos-host.nix, with these arguments), evaluated inside the host. */
  const evaluateMachine = async <T>(expr: (machine: string) => string, args = ''): Promise<T> => {
    const machine = `(import ${JSON.stringify(hostFile)} { repo = ${JSON.stringify(repoRoot)}; ${args} })`;
    return JSON.parse(
      (await host.exec(['nix-instantiate', '--eval', '--strict', '--json', '-E', expr(machine)])).stdout,
    ) as T;
  };
  /** The kind of build a store path is (its nix-support/pgo.json), or `vanilla`. */
  const kindOf = async (path: string) => {
    const out = path.split('/').slice(0, 4).join('/');
    const manifest = await host.exec(['cat', `${out}/nix-support/pgo.json`]).then(
      (r) => JSON.parse(r.stdout) as { kind: string },
      () => ({ kind: 'vanilla' }),
    );
    return manifest.kind;
  };

  before(async () => {
    host = await bootHost({ name: 'nixos' });
    await host.waitRunning();
    await prepareNixosHost(host);
    system = await buildSystem(host);
    await installSystem(host, system);
    for (const user of ['alice', 'bob', 'nix-pgo'])
      uids[user] = Number((await host.exec(['id', '-u', user])).stdout.trim());
    // What NixOS' switch starts: the units the configuration wants.
    await host.systemctl('start', 'nix-pgo-activate.path', 'nix-pgo.service');
  });

  after(async () => {
    if (host) {
      for (const unit of ['nix-pgo.service', 'nix-pgo-activate.service'])
        console.log(
          `--- ${unit}\n${(await host.journal(unit).catch((e: Error) => e.message)).split('\n').slice(-40).join('\n')}`,
        );
      await host.stop();
    }
  });

  it("installs the files the module renders; where nixpkgs' lib is on NIX_PATH, they are the module's own evaluation", async (t) => {
    const found = await findNixpkgsLib();
    if ('missing' in found) {
      t.diagnostic(`not compared with the module's evaluation: ${found.missing}`);
    } else {
      const expr = (attr: string) =>
        `let h = import ${JSON.stringify(hostFile)} { repo = ${JSON.stringify(repoRoot)}; }; in ${attr}`;
      const { stdout } = await run('nix-instantiate', [
        '--eval',
        '--strict',
        '--json',
        '-E',
        expr('[ h.rendered.drvPath (h.renderedFromModule (import <nixpkgs/lib>)).drvPath ]'),
      ]);
      const [composed, fromModule] = JSON.parse(stdout) as [string, string];
      assert.equal(composed, fromModule, "the files composed without lib differ from the module's evaluation");
      t.diagnostic(`the module's evaluation renders the same files: ${fromModule}`);
    }
    assert.equal(
      (await host.systemctl('show', '--property=ActiveState', '--value', 'nix-pgo.service')).trim(),
      'active',
    );
    assert.deepEqual(await host.failedUnits(), []);
  });

  it('every login user, service and user unit runs the profiling variants and writes to the spool', async (t) => {
    seen.alice = { before: await probeAs('alice', RUNS.alice) };
    seen.bob = { before: await probeAs('bob', RUNS.bob, true) };
    await host.systemctl('start', 'probe.service');
    seen.service = { before: await serviceReport(1, 'probe.service') };
    await host.startUserManager('bob');
    await host.exec(['systemctl', '--user', 'start', 'probe.service'], { user: 'bob' });
    seen['bob (user unit)'] = { before: await userUnitReport(1, 'bob', 'probe.service') };
    for (const [who, s] of Object.entries(seen)) {
      for (const name of PACKAGES) assert.equal(await kindOf(s.before!.ran[name]!), 'profile', `${who} ran ${name}`);
    }
    t.diagnostic(`the service ran as uid ${seen.service.before!.uid}`);
  });

  it('every one of them sees the spool variables the module sets, nothing of them expanded by systemd', async () => {
    assert.deepEqual(Object.keys(seen), ['alice', 'bob', 'service', 'bob (user unit)']);
    const expected = await evaluateMachine<Record<string, string>>(
      (machine) => `removeAttrs ${machine}.config.environment.sessionVariables [ "NIX_PGO_CONFIG" ]`,
    );
    assert.deepEqual(Object.keys(expected), ['NIX_PGO_SPOOL']);
    for (const [who, s] of Object.entries(seen)) {
      // The probe reports the old layout's variables too: nobody may have them set.
      for (const [name, value] of Object.entries(s.before!.env))
        assert.equal(value, expected[name] ?? null, `${who}: ${name}`);
    }
  });

  it("the spool is laid out per user (v2): each one's directories its own, nobody else's readable", async () => {
    const stat = async (path: string) => (await host.exec(['stat', '-c', '%a:%U', path])).stdout.trim();
    for (const format of ['llvm', 'gcda', 'bolt']) {
      const dir = `/var/spool/nix-pgo/${format}`;
      assert.equal(await stat(dir), '1733:nix-pgo', dir);
      assert.match((await host.exec(['getfacl', '-p', dir])).stdout, /^default:user:nix-pgo:rwx$/m, dir);
      // Made for root and the normal users before the daemon started, each with the ACL's mask as group bits.
      for (const [user, uid] of [
        ['root', 0],
        ['alice', uids.alice!],
        ['bob', uids.bob!],
      ] as const)
        assert.equal(await stat(`${dir}/${uid}`), `770:${user}`, `${dir}/${uid}`);
    }
    // The dynamic user's own program made its directory (its uid has no name once the service is gone).
    const service = seen.service!.before!.uid;
    assert.equal(
      (await host.exec(['stat', '-c', '%u', `/var/spool/nix-pgo/llvm/${service}`])).stdout.trim(),
      `${service}`,
    );
    for (const path of [
      '/var/spool/nix-pgo/llvm',
      `/var/spool/nix-pgo/llvm/${uids.alice}`,
      `/var/spool/nix-pgo/gcda/${uids.alice}`,
    ])
      await assert.rejects(host.exec(['ls', path], { user: 'bob' }), path);
  });

  it("the daemon sees other users' processes: a BOLT profile is whole only once the process writing it is gone", async () => {
    await host.exec(['systemd-run', '--unit=alice-running', '-p', 'User=alice', 'sleep', '120']);
    try {
      const show = async (unit: string) =>
        (await host.exec(['systemctl', 'show', '-p', 'MainPID', '--value', unit])).stdout.trim();
      const pid = await show('alice-running');
      // In the daemon's own mount namespace (its /proc as its unit mounts it) and with its credentials.
      const seenByDaemon = await host.exec([
        'nsenter',
        '-t',
        await show('nix-pgo'),
        '-m',
        'setpriv',
        '--reuid=nix-pgo',
        '--regid=nix-pgo',
        '--clear-groups',
        'stat',
        '-c',
        '%u',
        `/proc/${pid}`,
      ]);
      assert.equal(seenByDaemon.stdout.trim(), String(uids.alice));
    } finally {
      await host.systemctl('stop', 'alice-running');
    }
  });

  it('counts every run exactly, each for its contributor, and builds the optimized variants', async (t) => {
    const want = new Map([
      [uids.alice!, RUNS.alice],
      [uids.bob!, RUNS.bob + RUNS.userUnit],
      [seen.service!.before!.uid, RUNS.service],
    ]);
    const packages = await waitFor('both packages optimized', 300_000, async () => {
      const all = await status();
      return all.every((p) => p.activeVariant === 'optimized') ? all : undefined;
    }).catch(async (error: Error) => {
      const said = await host.exec(['node', cli, 'status', '--config', '/etc/nix-pgo/config.json']);
      throw new Error(`${error.message}; nix-pgo status says:\n${said.stdout}`);
    });
    for (const p of packages) {
      const counted = new Map(p.contributors.map((c) => [c.uid, c.runs]));
      assert.deepEqual(counted, want, `${p.name}: runs by uid`);
      t.diagnostic(`${p.name}: ${[...counted].map(([uid, runs]) => `uid ${uid} ${runs} runs`).join(', ')}`);
    }
  });

  it("root's activation builds root's own evaluation of the proposal and puts it first on PATH", async () => {
    const daemon = new Map((await status()).map((p) => [p.name, p.activePath]));
    await waitFor('root activated both', 300_000, async () => {
      const result = (await host.systemctl('show', '--property=Result', '--value', 'nix-pgo-activate.service')).trim();
      if (result !== 'success')
        throw new Error(`nix-pgo-activate.service: ${result}\n${await host.journal('nix-pgo-activate.service')}`);
      const lock = await host.readFile(ROOT_LOCK).catch(() => '{}');
      const names = Object.keys((JSON.parse(lock) as { packages?: object }).packages ?? {});
      return PACKAGES.every((n) => names.includes(n)) ? true : undefined;
    });
    for (const name of PACKAGES) {
      const rootBuild = (await host.exec(['readlink', '-f', `${ROOT_PROFILE}/bin/${name}`])).stdout.trim();
      // Root's evaluation of the same profile is the same derivation the daemon built.
      assert.equal(rootBuild.split('/').slice(0, 4).join('/'), daemon.get(name));
      assert.equal(await kindOf(rootBuild), 'optimized');
    }
  });

  it('after the switch every user, service and user unit runs the optimized variants', async () => {
    seen.alice!.after = await probeAs('alice', 1);
    seen.bob!.after = await probeAs('bob', 1, true);
    // System services and user units run what the next nixos-rebuild installs: the system rendered again with root's lock.
    system = await buildSystem(host);
    await installSystem(host, system);
    await host.systemctl('start', 'probe.service');
    seen.service!.after = await serviceReport(2, 'probe.service');
    await host.exec(['systemctl', '--user', 'daemon-reload'], { user: 'bob' });
    await host.exec(['systemctl', '--user', 'start', 'probe.service'], { user: 'bob' });
    seen['bob (user unit)']!.after = await userUnitReport(2, 'bob', 'probe.service');

    const counts = new Map((await status()).map((p) => [p.name, new Map(p.contributors.map((c) => [c.uid, c.runs]))]));
    const lines = [
      'who | uid | variables seen | runs counted for the uid (calc, wordfreq) | ran after the switch (calc, wordfreq)',
    ];
    for (const [who, s] of Object.entries(seen)) {
      const vars = Object.entries(s.before!.env)
        .map(([k, v]) => `${k}=${v ?? '(unset)'}`)
        .join(' ');
      const runs = PACKAGES.map((n) => counts.get(n)?.get(s.before!.uid) ?? 0).join(', ');
      const kinds = await Promise.all(PACKAGES.map((n) => kindOf(s.after!.ran[n]!)));
      lines.push(`${who} | ${s.before!.uid} | ${vars} | ${runs} | ${kinds.join(', ')}`);
      for (const [i, n] of PACKAGES.entries())
        assert.equal(kinds[i], 'optimized', `${who} ran ${n} ${s.after!.ran[n]}`);
    }
    // The table the issue asks for, in the test's output.
    console.log(lines.join('\n'));
  });

  it("the daemon's user cannot make root or another user run code of its own", async (t) => {
    const asDaemon = (argv: string[], input?: string) =>
      host.exec(['setpriv', '--reuid=nix-pgo', '--regid=nix-pgo', '--init-groups', '--', ...argv], {
        env: { HOME: '/var/lib/nix-pgo', NIX_REMOTE: 'daemon' },
        ...(input === undefined ? {} : { input }),
      });
    const writeAsDaemon = (path: string, content: string) =>
      asDaemon(['sh', '-c', 'cat > "$1.tmp" && mv "$1.tmp" "$1"', 'sh', path], content);
    const daemonLock = '/var/lib/nix-pgo/pgo-lock.json';
    const daemonVariants = '/var/lib/nix-pgo/profile.variants.json';
    const original = { lock: await host.readFile(daemonLock), variants: await host.readFile(daemonVariants) };
    const rootBuilds = async () =>
      Object.fromEntries(
        await Promise.all(
          PACKAGES.map(async (n) => [
            n,
            (await host.exec(['readlink', '-f', `${ROOT_PROFILE}/bin/${n}`])).stdout.trim(),
          ]),
        ),
      );
    const before = { builds: await rootBuilds(), lock: await host.readFile(ROOT_LOCK) };

    // Code of the daemon's user in the store: programs named like the managed ones (and like ls), and a file
    // named and content-addressed exactly as a merged profile of calc is.
    const marker = '/var/tmp/nix-pgo-pwned';
    const evilScript = `#!/bin/sh\ntouch ${marker}-$(id -u)\n`;
    await asDaemon(['mkdir', '-p', '/var/lib/nix-pgo/evil/bin']);
    for (const program of ['calc', 'wordfreq', 'ls'])
      await writeAsDaemon(`/var/lib/nix-pgo/evil/bin/${program}`, evilScript);
    await asDaemon(['chmod', '-R', '+x', '/var/lib/nix-pgo/evil/bin']);
    const evil = (await asDaemon(['nix-store', '--add', '/var/lib/nix-pgo/evil'])).stdout.trim();
    await writeAsDaemon('/var/lib/nix-pgo/pgo-calc.profdata', evilScript);
    const evilProfile = (
      await asDaemon(['nix-store', '--add-fixed', 'sha256', '/var/lib/nix-pgo/pgo-calc.profdata'])
    ).stdout.trim();
    const evilHash = `sha256:${(await asDaemon(['sha256sum', '/var/lib/nix-pgo/pgo-calc.profdata'])).stdout.split(' ')[0]}`;
    t.diagnostic(`the daemon's user added ${evil} and ${evilProfile}`);

    const lock = JSON.parse(original.lock) as { packages: Record<string, Record<string, unknown>> };
    const withCalc = (entry: Record<string, unknown>) =>
      JSON.stringify({ ...lock, packages: { ...lock.packages, calc: { ...lock.packages.calc, ...entry } } });
    const nix = (code: string) => `$${'{'}${code}}`;
    // Each attempt, and what root's activation says of it (its own profile is not part of the proposal at all).
    const attempts: [string, () => Promise<unknown>, RegExp][] = [
      [
        'its own profile points at its code',
        () => asDaemon(['nix-env', '-p', '/var/lib/nix-pgo/profile', '--set', evil]),
        /calc +optimized +activated/,
      ],
      [
        'the lock names its code',
        () => writeAsDaemon(daemonLock, withCalc({ storePath: evil })),
        /not a store path named pgo-calc.profdata/,
      ],
      [
        'the lock names a content-addressed file of its own, named as a profile',
        () => writeAsDaemon(daemonLock, withCalc({ storePath: evilProfile, hash: evilHash })),
        /is not an indexed LLVM profile/,
      ],
      [
        'the lock carries shell and Nix code',
        () =>
          writeAsDaemon(
            daemonLock,
            withCalc({ storePath: `${lock.packages.calc!.storePath}'; touch ${marker}-sh; '${nix(`import ${evil}`)}` }),
          ),
        /not a store path named pgo-calc.profdata/,
      ],
      [
        'the variants file asks for a variant the config does not build',
        () =>
          writeAsDaemon(
            daemonVariants,
            JSON.stringify({ version: 1, variants: { calc: 'bolt-profile', wordfreq: 'optimized' } }),
          ),
        /bolt-profile is proposed, but the config does not turn BOLT on/,
      ],
      [
        'the lock is a link to a file only root may read',
        () => asDaemon(['ln', '-sfn', '/etc/shadow', daemonLock]),
        /is a symbolic link; the proposal is not read/,
      ],
    ];
    // Only the runs started here, so that each one's journal is about one attempt.
    await host.systemctl('stop', 'nix-pgo-activate.path');
    const activate = async () => {
      await host.systemctl('start', 'nix-pgo-activate.service').catch(() => undefined);
      await waitFor('the activation to finish', 60_000, async () =>
        /^(inactive|failed)$/.test(
          (await host.systemctl('show', '--property=ActiveState', '--value', 'nix-pgo-activate.service')).trim(),
        )
          ? true
          : undefined,
      );
    };
    for (const [what, attempt, said] of attempts) {
      await attempt();
      await activate();
      const invocation = (
        await host.systemctl('show', '--property=InvocationID', '--value', 'nix-pgo-activate.service')
      ).trim();
      await host.exec(['journalctl', '--sync']);
      const journal = (
        await host.exec(['journalctl', '--no-pager', '--output=cat', `_SYSTEMD_INVOCATION_ID=${invocation}`])
      ).stdout;
      for (const user of ['root', 'alice'])
        await host.exec(['sh', '-c', 'calc 1 >/dev/null; echo x | wordfreq >/dev/null; ls / >/dev/null'], { user });
      await host.systemctl('start', 'probe.service');
      assert.equal((await host.exec(['sh', '-c', `ls ${marker}-* 2>/dev/null || true`])).stdout, '', what);
      assert.deepEqual(await rootBuilds(), before.builds, what);
      assert.equal(await host.readFile(ROOT_LOCK), before.lock, what);
      assert.match(journal, said, what);
      t.diagnostic(`${what}: root's profile and lock unchanged; the activation said: ${journal.match(said)?.[0]}`);
      await host.exec(['rm', '-f', daemonLock]);
      await writeAsDaemon(daemonLock, original.lock);
      await writeAsDaemon(daemonVariants, original.variants);
      await activate();
    }
    await asDaemon(['nix-env', '-p', '/var/lib/nix-pgo/profile', '--rollback']);
    await host.systemctl('start', 'nix-pgo-activate.path');
    // Its own files cannot reach root's: root's state is not writable by it.
    await assert.rejects(asDaemon(['nix-env', '-p', ROOT_PROFILE, '--set', evil]));
    await assert.rejects(asDaemon(['touch', ROOT_LOCK]));
    await host.systemctl('reset-failed');
  });

  it('a spool writer cannot make root or another user run code, nor be counted as another user', async (t) => {
    const marker = '/var/tmp/nix-pgo-pwned-spool';
    const counts = async () =>
      new Map((await status()).map((p) => [p.name, new Map(p.contributors.map((c) => [c.uid, c.runs]))]));
    const before = {
      counts: await counts(),
      builds: (await host.exec(['readlink', '-f', `${ROOT_PROFILE}/bin/calc`, `${ROOT_PROFILE}/bin/wordfreq`])).stdout,
      lock: await host.readFile(ROOT_LOCK),
    };
    const script = `#!/bin/sh\ntouch ${marker}-$(id -u)\n`;
    const llvm = `/var/spool/nix-pgo/llvm/${uids.alice}`;
    const fallback = `/var/spool/nix-pgo/llvm/${uids.bob}.Abc123`;
    const gcda = `/var/spool/nix-pgo/gcda/${uids.alice}/x`;
    // Shell code in names and contents goes in on stdin: only the daemon could ever run it.
    const asAlice = (code: string, args: string[], input?: string) =>
      host.exec(['sh', '-c', code, 'sh', ...args], { user: 'alice', ...(input === undefined ? {} : { input }) });
    // A file whose name is shell code (a name has no slash: it climbs to / first), holding a script, in her own directory.
    const climbToMarker = `${'cd ..;'.repeat(8)}cd var;cd tmp;touch ${marker.split('/').pop()}`;
    await asAlice('IFS= read -r path; cat > "$path"', [], `${llvm}/$(${climbToMarker}-name).profraw\n${script}`);
    // A link to a file only root may read, named as a raw profile.
    await asAlice('ln -s /etc/shadow "$1"', [`${llvm}/1-2.profraw`]);
    // A directory named as bob's fallback directory, holding a real raw profile of the profiling calc: never bob's.
    await asAlice(
      'mkdir -p "$1" "$HOME/own/llvm" && NIX_PGO_SPOOL="$HOME/own" "$2" 1 >/dev/null && cp "$HOME"/own/llvm/*/*.profraw "$1"/',
      [fallback, seen.alice!.before!.ran.calc!],
    );
    // GCC data that is a script, below a path as a GCC build bakes it in.
    await asAlice('mkdir -p "$1" && cat > "$1/main.gcda"', [gcda], script);
    // The daemon harvests on file events; give it a few passes, then let every one run the managed programs.
    await new Promise((r) => setTimeout(r, 10_000));
    for (const user of ['root', 'alice', 'bob'])
      await host.exec(['sh', '-c', 'calc 1 >/dev/null; echo x | wordfreq >/dev/null'], { user });
    assert.equal((await host.exec(['sh', '-c', `ls ${marker}-* 2>/dev/null || true`])).stdout, '');
    assert.equal(
      (await host.systemctl('show', '--property=ActiveState', '--value', 'nix-pgo.service')).trim(),
      'active',
    );
    assert.deepEqual(await counts(), before.counts, 'no run counted for anybody');
    assert.deepEqual(
      (await host.exec(['readlink', '-f', `${ROOT_PROFILE}/bin/calc`, `${ROOT_PROFILE}/bin/wordfreq`])).stdout,
      before.builds,
    );
    assert.equal(await host.readFile(ROOT_LOCK), before.lock);
    t.diagnostic("alice's files in the spool: no code ran, no run counted, root's profile and lock unchanged");
  });

  it('a profiling program run where the spool is absent (as in a Nix build) says nothing and behaves as it does', async () => {
    const { calc, wordfreq } = seen.alice!.before!.ran;
    for (const path of [calc!, wordfreq!]) assert.equal(await kindOf(path), 'profile', path);
    const script = 'echo "$("$1" 7)"; echo the quick brown fox the end | "$2"';
    const normal = await host.exec(['sh', '-c', script, 'sh', calc!, wordfreq!], { user: 'bob' });
    // A unit whose /var/spool is an empty tmpfs, the variable still set: no spool, as in a build's sandbox.
    const absent = await host.exec([
      'systemd-run',
      '--quiet',
      '--pipe',
      '--wait',
      '--collect',
      '--property=DynamicUser=yes',
      '--property=TemporaryFileSystem=/var/spool',
      '--setenv=NIX_PGO_SPOOL=/var/spool/nix-pgo',
      '--',
      '/bin/sh',
      '-c',
      script,
      'sh',
      calc!,
      wordfreq!,
    ]);
    assert.equal(absent.stderr, '');
    assert.equal(absent.stdout, normal.stdout);
  });

  it("home-manager's unit for a flake gives the daemon one NIX_CONFIG, the flakes feature added to the system's", async () => {
    const unit = (await buildSystem(host, 'homeManagerUnit')).path;
    await host.exec([
      'install',
      '-D',
      '-o',
      'alice',
      '-m',
      '0644',
      `${unit}/nix-pgo.service`,
      '/home/alice/.config/systemd/user/nix-pgo.service',
    ]);
    await host.startUserManager('alice');
    await host.exec(['systemctl', '--user', 'daemon-reload'], { user: 'alice' });
    const shown = (
      await host.exec(['systemctl', '--user', 'show', '--property=Environment', '--value', 'nix-pgo.service'], {
        user: 'alice',
      })
    ).stdout.trim();
    // One assignment, its spaces kept (systemctl quotes it); unquoted, systemd would split it at each space.
    assert.equal(shown, '"NIX_CONFIG=extra-experimental-features = nix-command flakes"');
  });

  it('the module stops a rebuild, naming the option, for what it cannot build, and does nothing without packages', async () => {
    const evaluate = (nixPgo: string, attr: string) =>
      evaluateMachine<string[]>((machine) => `${machine}.${attr}`, `nixPgo = { ${nixPgo} };`);
    const failed = await evaluate(
      'packages = [ "rustTool" "wrapper" "wordfreq" ]; enableWith.wordfreq.collection = "continuous";',
      'failedAssertions',
    );
    assert.deepEqual(failed.map((m) => m.split(':')[0]).sort(), [
      'services.nix-pgo.enableWith.wordfreq.collection',
      'services.nix-pgo.packages',
      'services.nix-pgo.packages',
    ]);
    const idle = await evaluate('packages = [ ]; enable = true;', 'machine.whenIdle.warnings');
    assert.match(idle[0]!, /services.nix-pgo.packages is empty, so nix-pgo is off/);
  });
});
