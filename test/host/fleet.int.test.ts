/**
 * A fleet as one runs: six real-systemd hosts on a private network, each with
 * its own Nix store. `cache` serves a binary cache over HTTP (GET, PUT); `agg`
 * is the aggregator; m1, m2 and m3 have the same package set; m4's calc has
 * one more compiler flag (another derivation). Every machine runs the nix-pgo
 * daemon with a fleet round every 2 s. The test shows: m2 offline while it
 * publishes loses nothing (it publishes once back); the fleet's profile after
 * 3 + 3 + 4 runs on three machines is exactly 10× one run's counts; the
 * aggregator builds the optimized calc once, and every machine of the same
 * package set that is not on profiling duty substitutes it (Nix's log says
 * copied, not built); m4 is told its derivation differs and builds its own;
 * m3 forging counters ×10^6 holds half the fleet's profile, no more; an old
 * machine pointer put back and a lock pointer naming a path the aggregator did
 * not sign are both refused.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { basename, join } from 'node:path';
import { run } from '../../src/process/run.js';
import type { Status } from '../../src/status/collect-status.js';
import type { FleetLock } from '../../src/fleet/fleet-documents.js';
import { waitFor as pollFor } from '../support/daemon.js';
import { repoRoot } from '../support/nix.js';
import { parseTextProfile, type FunctionCounts } from '../support/profile-counts.js';
import { LLVM_PROFDATA } from '../support/spool-fixture.js';
import {
  bootHost,
  createNetwork,
  ensureHostImage,
  hostSkipReason,
  type Host,
  type HostNetwork,
} from '../support/systemd-host.js';

const skip = hostSkipReason();
const cli = join(repoRoot, 'dist/src/cli/main.js');
const CACHE = 'http://cache:8080';
const STATE = '/var/lib/nix-pgo';
const CONFIG = '/etc/nix-pgo/config.json';
const MEMBERS = ['m1', 'm2', 'm3', 'm4'] as const;
/** Runs of `calc 7` on each machine: 10 on the three machines of the fleet's package set. */
const RUNS: Record<(typeof MEMBERS)[number], number> = { m1: 3, m2: 3, m3: 4, m4: 2 };

/** m4's package set: the example calc with one more define, so its derivations differ from the fleet's. */
const OTHER_PACKAGES = `{ pgoProfiles ? { } }:
let
  nix-pgo = import ${repoRoot}/nix { };
  stdenvs = import ${repoRoot}/examples/stdenv { };
  calc = import ${repoRoot}/examples/pkgs/calc { stdenv = stdenvs.clangStdenv; };
in
{
  calc = nix-pgo.enableWith { profile = pgoProfiles.calc or null; } (
    calc.overrideAttrs (old: { env = old.env // { NIX_CFLAGS_COMPILE = "\${old.env.NIX_CFLAGS_COMPILE} -DCALC_M4=1"; }; })
  );
}
`;

describe('a fleet: many machines profile, one builds, every machine substitutes', { skip, timeout: 1_500_000 }, () => {
  let network: HostNetwork;
  const hosts = new Map<string, Host>();
  const host = (name: string) => hosts.get(name)!;
  let oneRun: FunctionCounts[] = [];
  let oneRunMass = 0;

  const status = async (name: string): Promise<Status> =>
    JSON.parse((await host(name).exec(['nix-pgo', 'status', '--json'])).stdout) as Status;
  /** Polls `check` (support/daemon.ts); on a timeout, the error has the end of every daemon's log. */
  const waitFor = async <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 240_000): Promise<T> => {
    try {
      return await pollFor(what, check, timeoutMs);
    } catch (error) {
      const logs = await Promise.all(
        [...hosts.keys()]
          .filter((n) => n !== 'cache')
          .map(async (n) => `== ${n}\n${(await host(n).journal('nix-pgo.service')).split('\n').slice(-25).join('\n')}`),
      );
      throw new Error(`${(error as Error).message}\n${logs.join('\n')}`);
    }
  };
  /** A pointer beside the cache (nix-pgo/NAME), read or written from a machine, as anyone with access could. */
  const getPointer = async (from: string, name: string) =>
    (await host(from).exec(['curl', '--silent', '--fail', `${CACHE}/nix-pgo/${name}`])).stdout;
  const putPointer = (from: string, name: string, text: string) =>
    host(from).exec(['curl', '--silent', '--fail', '-X', 'PUT', '--data-binary', text, `${CACHE}/nix-pgo/${name}`]);
  const link = (name: string, state: 'up' | 'down') =>
    run('ip', ['-n', basename(network.namespacePath(name)), 'link', 'set', 'eth0', state]);
  /** `calc 7` N times with the spool's variables, as the machine's root user. */
  const train = (name: string, runs: number) =>
    host(name).exec([
      'bash',
      '-c',
      `eval "$(nix-pgo env)"; for i in $(seq ${runs}); do ${STATE}/profile/bin/calc 7 >/dev/null; done`,
    ]);
  const countsOf = async (name: string, profile: string) =>
    parseTextProfile((await host(name).exec([LLVM_PROFDATA, 'merge', '--text', '--output', '-', profile])).stdout);

  before(async () => {
    await ensureHostImage();
    network = await createNetwork({ hosts: ['cache', 'agg', ...MEMBERS] });
    await Promise.all(
      network.hosts.map(async (name) => {
        const h = await bootHost({ name, network });
        hosts.set(name, h);
        await h.waitRunning();
      }),
    );
  });

  after(async () => {
    for (const h of hosts.values()) await h.stop();
    await network?.remove();
  });

  it('sets up a cache, keys and the daemons; one run of calc is measured on the aggregator', async (t) => {
    const began = Date.now();
    await host('cache').exec([
      'systemd-run',
      '--unit=binary-cache',
      '--',
      '/usr/bin/node',
      join(repoRoot, 'dist/test/support/http-binary-cache.js'),
      '/srv/cache',
      '8080',
    ]);
    const publicKeys = new Map<string, string>();
    for (const name of ['agg', ...MEMBERS]) {
      const h = host(name);
      await h.writeFile(
        '/usr/local/bin/nix-pgo',
        `#!/bin/sh\nNIX_PGO_CONFIG=${CONFIG} exec /usr/bin/node ${cli} "$@"\n`,
        '0755',
      );
      await h.exec(['mkdir', '-p', '/etc/nix-pgo/machines']);
      await h.exec([
        'nix-store',
        '--generate-binary-cache-key',
        name,
        `/etc/nix-pgo/${name}.sec`,
        `/etc/nix-pgo/${name}.pub`,
      ]);
      publicKeys.set(name, (await h.readFile(`/etc/nix-pgo/${name}.pub`)).trim());
    }
    for (const name of MEMBERS) await host('agg').writeFile(`/etc/nix-pgo/machines/${name}.pub`, publicKeys.get(name)!);

    // One run's counts, from the aggregator's own build of the profiling variant (the daemon finds it built).
    const agg = host('agg');
    const profiling = (
      await agg.exec(['nix-build', '--no-out-link', join(repoRoot, 'examples'), '-A', 'calc.pgo.profile'])
    ).stdout.trim();
    await agg.exec([`${profiling}/bin/calc`, '7'], { env: { LLVM_PROFILE_FILE: '/tmp/one-run.profraw' } });
    oneRun = await countsOf('agg', '/tmp/one-run.profraw');
    oneRunMass = oneRun.reduce((sum, f) => sum + f.counters.reduce((s, c) => s + Number(c), 0), 0);
    assert.ok(oneRunMass > 0);
    t.diagnostic(`one run of calc 7: ${oneRunMass} counts in ${oneRun.length} functions`);

    const unit = [
      '[Service]',
      `Environment=NIX_PGO_CONFIG=${CONFIG}`,
      `ExecStart=/usr/bin/node ${cli} daemon`,
      '',
    ].join('\n');
    const base = (nixFile: string) => ({
      stateDir: STATE,
      nixFile,
      // The threshold of the fleet's data: more than 9 runs, so the aggregator builds only with all 10.
      policy: { thresholdCounts: Math.round(oneRunMass * 9.5), retry: { initialDelaySeconds: 1, maxDelaySeconds: 2 } },
      packages: { calc: {} },
    });
    await agg.writeFile(
      CONFIG,
      JSON.stringify({
        ...base(join(repoRoot, 'examples')),
        fleet: {
          role: 'aggregator',
          cache: CACHE,
          secretKeyFile: '/etc/nix-pgo/agg.sec',
          machineKeys: MEMBERS.map((m) => `/etc/nix-pgo/machines/${m}.pub`),
          intervalSeconds: 2,
          // One of the three machines whose data is merged.
          profilingDuty: 0.34,
        },
      }),
    );
    await host('m4').writeFile('/etc/nix-pgo/packages.nix', OTHER_PACKAGES);
    for (const name of MEMBERS) {
      await host(name).writeFile(
        CONFIG,
        JSON.stringify({
          ...base(name === 'm4' ? '/etc/nix-pgo/packages.nix' : join(repoRoot, 'examples')),
          fleet: {
            role: 'member',
            cache: CACHE,
            secretKeyFile: `/etc/nix-pgo/${name}.sec`,
            aggregatorKey: publicKeys.get('agg'),
            intervalSeconds: 2,
            fallback: 'build',
          },
        }),
      );
    }
    // m2 is offline before it has anything to publish, and stays so while it trains.
    await link('m2', 'down');
    for (const name of ['agg', ...MEMBERS]) {
      await host(name).writeFile('/etc/systemd/system/nix-pgo.service', unit);
      await host(name).systemctl('daemon-reload');
      await host(name).systemctl('start', 'nix-pgo.service');
    }
    await Promise.all(
      MEMBERS.map((name) =>
        waitFor(`the profiling variant on ${name}`, async () =>
          (await status(name)).packages[0]?.activeVariant === 'profile' ? true : undefined,
        ),
      ),
    );
    t.diagnostic(`daemons up, profiling variants active after ${Math.round((Date.now() - began) / 1000)} s`);
  });

  it('publishes from the machines that are online; one offline keeps its data and says so', async () => {
    await Promise.all(MEMBERS.map((name) => train(name, RUNS[name])));
    for (const name of ['m1', 'm3', 'm4'] as const)
      await waitFor(`${name}'s record of ${RUNS[name]} runs`, async () =>
        (await status(name)).fleet?.published.published?.packages.calc?.runs === RUNS[name] ? true : undefined,
      );
    const m2 = await waitFor('m2 failing to publish', async () => {
      const s = await status('m2');
      return s.fleet?.published.lastAttempt?.error ? s : undefined;
    });
    assert.equal(m2.fleet?.published.published, null);
    assert.equal(m2.packages[0]?.runs, RUNS.m2, 'the runs are merged here');
    const text = (await host('m2').exec(['nix-pgo', 'status'])).stdout;
    assert.match(text, /^ {2}publish: {3}FAILED at .*; the data stays here and the next round publishes it$/m, text);

    // The aggregator has 7 of the 10 runs, from two machines: no machine may hold more than half of the fleet's
    // profile, so m3's 4 runs count as m1's 3 (6 runs' counts in all), below the threshold: nothing is built.
    const agg = await waitFor('the aggregator merging m1 and m3', async () => {
      const s = await status('agg');
      const machines = s.fleet?.aggregate?.packages.calc?.machines;
      return machines?.m1?.runs === RUNS.m1 && machines.m3?.runs === RUNS.m3 ? s : undefined;
    });
    const calc = agg.fleet!.aggregate!.packages.calc!;
    assert.deepEqual(Object.keys(calc.machines).sort(), ['m1', 'm3']);
    assert.equal(calc.machines.m3!.mass, 4 * oneRunMass);
    assert.equal(calc.machines.m3!.weight, 0.75);
    assert.equal(calc.counts, 6 * oneRunMass);
    assert.equal(calc.ready, false);
    assert.equal(agg.fleet!.aggregate!.generation, 0);
    assert.match(agg.fleet!.aggregate!.machines.m4!.packages.calc!.excluded ?? '', /another derivation/);
  });

  let lock: FleetLock;

  it('once back online the machine publishes; the fleet profile is exactly 10x one run, built once and locked', async () => {
    await link('m2', 'up');
    await waitFor("m2's record", async () =>
      (await status('m2')).fleet?.published.published?.packages.calc?.runs === RUNS.m2 ? true : undefined,
    );
    const agg = await waitFor('fleet lock generation 1', async () => {
      const s = await status('agg');
      return s.fleet?.aggregate?.generation === 1 ? s : undefined;
    });
    const a = agg.fleet!.aggregate!;
    assert.equal(a.packages.calc!.counts, 10 * oneRunMass);
    assert.deepEqual(Object.keys(a.packages.calc!.machines).sort(), ['m1', 'm2', 'm3']);
    lock = JSON.parse(await host('agg').readFile(a.lock!)) as FleetLock;
    assert.equal(lock.fleet.generation, 1);
    assert.deepEqual(lock.fleet.builds.calc!.machines, ['m1', 'm2', 'm3']);
    // Every counter of the fleet's profile is exactly ten times one run's.
    const fleet = await countsOf('agg', lock.packages.calc!.storePath);
    const expected = oneRun.map((f) => ({ ...f, counters: f.counters.map((c) => c * 10n) }));
    const key = (f: FunctionCounts) => `${f.name}:${f.hash}`;
    assert.deepEqual(
      new Map(fleet.map((f) => [key(f), f.counters])),
      new Map(expected.map((f) => [key(f), f.counters])),
    );
    // Built once, here.
    const log = await host('agg').readFile(a.packages.calc!.built!.logFile);
    assert.match(log, /building '\/nix\/store\/[a-z0-9]+-calc-1\.0\.drv'/, log);
    assert.equal(lock.fleet.profilingDuty.machines.length, 1);
    const text = (await host('agg').exec(['nix-pgo', 'status'])).stdout;
    assert.match(text, /^ {2}machine m4: record of .*not merged: its data is of another derivation/m, text);
    assert.match(text, /^ {2}duty: {6}m\d keeps the profiling variant with lock generation 1/m, text);
  });

  it('every other machine of the package set substitutes the build; the one on duty keeps profiling', async (t) => {
    const out = lock.fleet.builds.calc!.outPath;
    const [onDuty] = lock.fleet.profilingDuty.machines;
    for (const name of ['m1', 'm2', 'm3']) {
      const s = await waitFor(`${name} following the lock`, async () => {
        const x = await status(name);
        const outcome = x.fleet?.followed.packages.calc?.outcome;
        return outcome === 'cache' || outcome === 'duty' ? x : undefined;
      });
      const calc = s.packages[0]!;
      assert.equal(s.fleet!.followed.lock?.generation, 1);
      if (name === onDuty) {
        assert.equal(s.fleet!.followed.packages.calc!.outcome, 'duty');
        assert.equal(calc.activeVariant, 'profile');
        continue;
      }
      assert.equal(s.fleet!.followed.packages.calc!.outcome, 'cache');
      assert.equal(calc.activePath, out);
      const log = await host(name).readFile(calc.lastBuild!.logFile);
      assert.match(log, new RegExp(`copying path '${out}' from '${CACHE}'`), log);
      assert.doesNotMatch(log, /^building '/m, log);
      const text = (await host(name).exec(['nix-pgo', 'status'])).stdout;
      assert.match(text, /^ {2}follows: {3}fleet lock generation 1 of agg/m, text);
      assert.match(text, new RegExp(`^ {2}calc: cache: substituted from ${CACHE}: built once by agg`, 'm'), text);
      t.diagnostic(`${name}: substituted ${out}`);
    }
  });

  it('a machine with another package set is told so, and builds its own with the fleet profile', async () => {
    const s = await waitFor('m4 following the lock', async () => {
      const x = await status('m4');
      return x.fleet?.followed.packages.calc?.outcome === 'built' ? x : undefined;
    });
    const followed = s.fleet!.followed.packages.calc!;
    assert.match(
      followed.message,
      /this machine's derivation differs from the fleet's .*: its package set differs; built here with the fleet's profile/,
    );
    assert.notEqual(followed.drvPath, lock.fleet.builds.calc!.drvPath);
    assert.equal(s.packages[0]!.activeVariant, 'optimized');
    assert.equal(s.packages[0]!.profileStorePath, lock.packages.calc!.storePath);
  });

  it('a machine forging counters holds at most half of the fleet profile', async () => {
    const m3 = host('m3');
    const published = (await status('m3')).fleet!.published.published!;
    const honest = published.packages.calc!.profile;
    const oldPointer = await getPointer('m3', 'machines/m3.json');
    // Counters ×10^6, in a record m3 signs and points to as nix-pgo would.
    await m3.exec(['mkdir', '-p', '/tmp/forge']);
    await m3.exec([
      LLVM_PROFDATA,
      'merge',
      `--weighted-input=1000000,${honest.storePath}`,
      '-o',
      '/tmp/forge/pgo-calc.profdata',
    ]);
    const forged = (
      await m3.exec(['nix-store', '--add-fixed', 'sha256', '/tmp/forge/pgo-calc.profdata'])
    ).stdout.trim();
    const hash = (await m3.exec(['sha256sum', forged])).stdout.split(' ')[0];
    const record = JSON.parse(await m3.readFile(published.record)) as {
      publishedAt: string;
      packages: Record<string, { profile: object }>;
    };
    record.publishedAt = new Date().toISOString();
    record.packages.calc!.profile = { ...honest, storePath: forged, hash: `sha256:${hash}` };
    await m3.writeFile('/tmp/forge/nix-pgo-record-m3.json', JSON.stringify(record));
    const recordPath = (
      await m3.exec(['nix-store', '--add-fixed', 'sha256', '/tmp/forge/nix-pgo-record-m3.json'])
    ).stdout.trim();
    await m3.exec([
      'nix',
      '--extra-experimental-features',
      'nix-command',
      'copy',
      '--to',
      `${CACHE}?secret-key=/etc/nix-pgo/m3.sec`,
      recordPath,
      forged,
    ]);
    await putPointer(
      'm3',
      'machines/m3.json',
      JSON.stringify({ nixPgoFleet: 'machine-pointer', version: 1, machine: 'm3', record: recordPath }),
    );
    const agg = await waitFor('the aggregator taking the forged record', async () => {
      const s = await status('agg');
      return s.fleet?.aggregate?.machines.m3?.record === recordPath ? s : undefined;
    });
    const calc = agg.fleet!.aggregate!.packages.calc!;
    const share = calc.machines.m3!.share;
    assert.ok(Math.abs(share - 0.5) < 1e-9, `m3 holds ${share} of the fleet's profile`);
    // The honest machines' 6 runs are the other half: the forged ×10^6 counts only as much as they do.
    assert.ok(Math.abs(calc.counts - 12 * oneRunMass) < 1e-6 * oneRunMass, `${calc.counts} vs ${12 * oneRunMass}`);
    assert.equal(agg.fleet!.aggregate!.machines.m3!.packages.calc!.mass, 4 * oneRunMass * 1e6);

    // The honest pointer put back (an attacker replaying it) is refused: the newer record stays.
    assert.match(oldPointer, /machine-pointer/);
    await putPointer('m3', 'machines/m3.json', oldPointer);
    const replayed = await waitFor('the replayed pointer refused', async () => {
      const s = await status('agg');
      return s.fleet?.aggregate?.machines.m3?.problem ? s : undefined;
    });
    assert.match(
      replayed.fleet!.aggregate!.machines.m3!.problem!,
      /not after the record taken .*an old pointer put back is not followed/,
    );
    assert.equal(replayed.fleet!.aggregate!.machines.m3!.record, recordPath);
  });

  it('a lock pointer naming a path the aggregator did not sign is refused; the machine keeps its lock', async () => {
    const pointer = await getPointer('m1', 'fleet-lock.json');
    const m3Record = (await status('m3')).fleet!.published.published!.record;
    await putPointer(
      'm1',
      'fleet-lock.json',
      JSON.stringify({ nixPgoFleet: 'lock-pointer', version: 1, lock: m3Record, generation: 9 }),
    );
    const s = await waitFor('m1 refusing the lock', async () => {
      const x = await status('m1');
      return x.fleet?.followed.refused?.why.includes(m3Record) ? x : undefined;
    });
    assert.match(s.fleet!.followed.refused!.why, /not signed by agg's key/);
    assert.equal(s.fleet!.followed.lock?.generation, 1);
    assert.equal(
      s.packages[0]!.activePath === lock.fleet.builds.calc!.outPath || s.packages[0]!.activeVariant === 'profile',
      true,
    );
    await putPointer('m1', 'fleet-lock.json', pointer);
  });
});
