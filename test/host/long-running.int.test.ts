/**
 * A program that runs for days, on a real systemd host: the daemon runs as an
 * unprivileged user (`pgo`, building through nix-daemon), the program as
 * another (`alice`), in continuous collection through a shared spool laid
 * out as on NixOS (1733, a default ACL for the daemon's user). The program
 * does about 20 units of work a second for about two minutes. With a snapshot interval of
 * INTERVAL_S the test shows, at each point, the merged units within one
 * interval (plus the time a pass and a merge take) of the units done; the
 * threshold reached by the running program alone; the optimized build switched
 * in; and after the program's `kill -9`, its last units merged within two
 * intervals and its live files gone. The daemon cannot read alice's
 * /proc/PID/maps: the end of a program is told from its flock alone. Then the
 * daemon is killed too, and status says since when it is not running and does
 * not show the live profiles it read as current.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Status } from '../../src/status/collect-status.js';
import { spoolEnvironment } from '../../src/spool/spool-environment.js';
import { repoRoot } from '../support/nix.js';
import { parseTextProfile } from '../support/profile-counts.js';
import { LLVM_PROFDATA } from '../support/spool-fixture.js';
import { bootHost, ensureHostImage, hostSkipReason, type Host } from '../support/systemd-host.js';

const skip = hostSkipReason();
const cli = join(repoRoot, 'dist/src/cli/main.js');
const INTERVAL_S = 5;
/** What a pass, a merge and reading the merged profile may add to the interval on a loaded machine. */
const SLACK_S = 4;
const HOME = '/var/lib/pgo-days';
const CONFIG = `${HOME}/config.json`;
const STATE = `${HOME}/state`;
const SPOOL = '/var/spool/nix-pgo';
const OUTPUT = '/tmp/ticker.out';
/** ~3,200 counts a unit at ~20 units a second: reached after about a minute of the program's work. */
const THRESHOLD_COUNTS = 4_000_000;
/** How long the program goes on once the optimized variant is in, its data still merged. */
const AFTER_SWITCH_S = 30;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a program that runs for days, with the daemon and the program as two ordinary users', { skip }, () => {
  let host: Host;

  before(async () => {
    await ensureHostImage();
    host = await bootHost({ name: 'days' });
    await host.waitRunning();
  });

  after(async () => {
    await host?.stop();
  });

  it('merges its work every interval, reaches the threshold alone, switches, and ends within two intervals of a kill -9', async (t) => {
    const began = Date.now();
    const elapsed = () => `${Math.round((Date.now() - began) / 1000)} s`;
    await host.addUser('pgo', { groups: ['nix-users'] });
    const alice = await host.addUser('alice');
    // The spool as the NixOS module lays it out: a sticky directory every user may write, whose files the
    // daemon's user may read and lock (a default ACL), owned by the daemon's user.
    await host.exec(['install', '-d', '-m', '0755', SPOOL]);
    await host.exec(['install', '-d', '-m', '1733', '-o', 'pgo', '-g', 'pgo', `${SPOOL}/llvm`]);
    await host.exec(['setfacl', '-d', '-m', 'u::rwx,g::---,o::---,u:pgo:rwx,m::rwx', `${SPOOL}/llvm`]);
    // alice's own directory, as her programs' writer claims it: 0770 under the inherited ACL (its group bits are
    // the mask), so the daemon's user keeps rwx.
    await host.exec(['install', '-d', '-m', '0770', '-o', 'alice', '-g', 'alice', `${SPOOL}/llvm/${alice}`]);
    await host.exec(['install', '-d', '-m', '0755', '-o', 'pgo', '-g', 'pgo', HOME, `${HOME}/profiles`]);
    await host.writeFile(
      CONFIG,
      JSON.stringify({
        stateDir: STATE,
        spoolDir: SPOOL,
        nixProfile: `${HOME}/profiles/pgo`,
        nixFile: join(repoRoot, 'examples'),
        trustedUsers: ['alice'],
        policy: { thresholdCounts: THRESHOLD_COUNTS, retry: { initialDelaySeconds: 1, maxDelaySeconds: 2 } },
        collector: { liveSnapshotSeconds: INTERVAL_S },
        packages: { tickerLive: {} },
      }),
      '0644',
      'pgo',
    );
    // alice's program, with the spool's variable (in a script, as a login shell has it).
    const env = Object.entries(spoolEnvironment(SPOOL)).map(([k, v]) => `export ${k}='${v}'`);
    await host.writeFile('/usr/local/bin/alice-ticker', ['#!/bin/sh', ...env, 'exec "$@"', ''].join('\n'), '0755');
    await host.exec([
      'systemd-run',
      '--unit=pgo-daemon',
      '--property=User=pgo',
      '--',
      '/usr/bin/node',
      cli,
      'daemon',
      '--config',
      CONFIG,
    ]);

    const status = async (): Promise<Status> =>
      JSON.parse((await host.exec(['node', cli, 'status', '--config', CONFIG, '--json'])).stdout) as Status;
    const ticker = async () => (await status()).packages.find((p) => p.name === 'tickerLive')!;
    const waitFor = async <T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const value = await check().catch(() => undefined);
        if (value !== undefined) return value;
        if (Date.now() > until)
          throw new Error(`timed out waiting for ${what}; daemon log:\n${await host.journal('pgo-daemon.service')}`);
        await sleep(500);
      }
    };

    const profiling = await waitFor(
      'the profiling variant',
      async () => {
        const p = await ticker();
        return p.activeVariant === 'profile' ? p : undefined;
      },
      300_000,
    );
    t.diagnostic(`profiling variant active after ${elapsed()}`);
    const program = `${profiling.activePath}/bin/ticker`;

    // Which counter of ticker_unit counts its calls: the one that is N after N units, for two values of N.
    const unitCounter = await findUnitCounter(host, program);
    const merged = async (): Promise<number> => {
      const dir = `${STATE}/profiles/tickerLive`;
      const names = (await host.exec(['ls', dir])).stdout.split('\n').filter((n) => /^gen-\d+\.profdata$/.test(n));
      const latest = names.sort((a, b) => Number(a.slice(4, -9)) - Number(b.slice(4, -9))).at(-1);
      if (!latest) return 0;
      const text = (await host.exec([LLVM_PROFDATA, 'merge', '--text', '--output', '-', `${dir}/${latest}`])).stdout;
      return Number(parseTextProfile(text).find((f) => f.name === 'ticker_unit')?.counters[unitCounter] ?? 0n);
    };
    const done = async () => Number((await host.exec(['wc', '-l', OUTPUT])).stdout.trim().split(/\s+/)[0]);

    // About 20 units a second until killed, as alice, in a unit of its own.
    const startTicker = (unit: string, output: string) =>
      host.exec([
        'systemd-run',
        `--unit=${unit}`,
        '--property=User=alice',
        `--property=StandardOutput=${output}`,
        '--',
        '/usr/local/bin/alice-ticker',
        program,
        '-n',
        '0',
        '-d',
        '50',
      ]);
    await startTicker('alice-ticker', `file:${OUTPUT}`);
    const started = Date.now();
    // (time, units done) as the program goes; what was merged at any time must reach what was done an interval before.
    const history: { at: number; units: number }[] = [];
    const doneBefore = (at: number) => history.filter((h) => h.at <= at).at(-1)?.units ?? 0;
    const lags: number[] = [];
    const check = async (): Promise<{ units: number; merged: number }> => {
      const before = Date.now();
      history.push({ at: before, units: await done() });
      const m = await merged();
      const after = await done();
      history.push({ at: Date.now(), units: after });
      // Merged units are units done: never more than printed (plus the one being printed), never older than an interval.
      assert.ok(m <= after + 1, `${m} units merged, ${after} done`);
      const floor = doneBefore(before - (INTERVAL_S + SLACK_S) * 1000);
      assert.ok(m >= floor, `${m} units merged at ${elapsed()}; ${floor} were done ${INTERVAL_S + SLACK_S} s before`);
      // How far behind the merge is, in seconds of the program's work.
      const caughtUp = history.filter((h) => h.units <= m).at(-1)?.at ?? started;
      lags.push((before - caughtUp) / 1000);
      return { units: after, merged: m };
    };

    // Until the threshold: the running program alone.
    const ready = await waitFor(
      'the threshold reached by the running program',
      async () => {
        await check();
        const p = await ticker();
        return ['ready', 'building', 'optimized'].includes(p.state) ? p : undefined;
      },
      240_000,
    );
    t.diagnostic(`${ready.state} after ${elapsed()} (${Math.round((Date.now() - started) / 1000)} s of the program)`);
    assert.equal((await host.systemctl('is-active', 'alice-ticker.service')).trim(), 'active', 'still running');
    assert.ok(ready.counts >= THRESHOLD_COUNTS, `${ready.counts} counts`);
    assert.deepEqual(
      ready.contributors.map((c) => [c.uid, c.runs]),
      [[alice, 1]],
      "alice's one run, not ended, is all the data",
    );
    assert.ok(ready.bytesHarvested < 10_000, `${ready.bytesHarvested} bytes of files: the threshold counts work`);
    assert.equal(ready.live?.running, 2, 'the program and its library, each with a live file');
    assert.equal(ready.live?.current, true);

    const optimized = await waitFor(
      'the optimized variant switched in',
      async () => {
        await check();
        const p = await ticker();
        return p.state === 'optimized' ? p : undefined;
      },
      300_000,
    );
    t.diagnostic(`optimized after ${elapsed()}`);
    assert.equal(optimized.activeVariant, 'optimized');
    const linked = (await host.exec(['readlink', '-f', `${HOME}/profiles/pgo/bin/ticker`])).stdout.trim();
    assert.equal(linked, `${optimized.activePath}/bin/ticker`);
    // Data still merges while optimized.
    for (const until = Date.now() + AFTER_SWITCH_S * 1000; Date.now() < until; await sleep(1000)) await check();
    assert.equal((await host.systemctl('is-active', 'alice-ticker.service')).trim(), 'active', 'never disturbed');

    await host.systemctl('kill', '--signal=SIGKILL', 'alice-ticker.service');
    const killed = Date.now();
    const final = await done();
    const last = await waitFor(
      'the last units merged and the live files removed',
      async () => {
        const m = await merged();
        const left = (await host.exec(['find', `${SPOOL}/llvm`, '-name', 'live-*'])).stdout.trim();
        return m === (await done()) && left === '' ? m : undefined;
      },
      (2 * INTERVAL_S + 30) * 1000,
    );
    const took = (Date.now() - killed) / 1000;
    t.diagnostic(`after the kill: ${last} units merged (${final} printed), files gone, in ${took} s`);
    assert.ok(took <= 2 * INTERVAL_S + SLACK_S, `${took} s after the kill`);
    const lag = Math.max(...lags);
    t.diagnostic(`merged work lagged the program by at most ${lag.toFixed(1)} s over ${lags.length} checks`);
    const gone = await ticker();
    assert.equal(gone.live, null, 'no live profile left');

    // A second run, then the daemon is killed: status says since when it is not running, and the live files it read
    // are not shown as programs that run.
    await startTicker('alice-ticker-2', 'null');
    await waitFor('the second run read', async () => ((await ticker()).live?.current ? true : undefined), 60_000);
    const running = await status();
    assert.equal(running.daemon.state, 'running');
    await host.systemctl('kill', '--signal=SIGKILL', 'pgo-daemon.service');
    await waitFor('the daemon gone', async () => ((await status()).daemon.state === 'died' ? true : undefined), 10_000);
    const dead = await status();
    assert.equal(dead.daemon.since, dead.daemon.lastPassAt);
    const p = dead.packages.find((x) => x.name === 'tickerLive')!;
    assert.equal(p.live?.current, false);
    const text = (await host.exec(['node', cli, 'status', '--config', CONFIG])).stdout;
    assert.match(text, /daemon: +NOT RUNNING since about \S+ \(its last sign of life\)/);
    assert.match(
      text,
      /running: +2 live profiles of programs that ran when last read at \S+; not read since: the daemon is not running/,
    );
    await host.systemctl('kill', '--signal=SIGKILL', 'alice-ticker-2.service');
  });
});

/** The index of ticker_unit's counter that counts its calls, from two reference runs in exit mode. */
async function findUnitCounter(host: Host, program: string): Promise<number> {
  const counters = async (units: number): Promise<bigint[]> => {
    const dir = `/tmp/reference-${units}`;
    await host.exec(['install', '-d', dir]);
    await host.exec([program, '-n', String(units)], {
      env: { LLVM_PROFILE_FILE: `${dir}/%p-%m.profraw`, NIX_PGO_COLLECTION: 'exit' },
    });
    const files = (await host.exec(['find', dir, '-name', '*.profraw'])).stdout.trim().split('\n');
    const text = (await host.exec([LLVM_PROFDATA, 'merge', '--text', '--output', '-', ...files])).stdout;
    return parseTextProfile(text).find((f) => f.name === 'ticker_unit')!.counters;
  };
  const [seven, eleven] = [await counters(7), await counters(11)];
  const index = seven.findIndex((c, i) => c === 7n && eleven[i] === 11n);
  assert.ok(index >= 0, `no counter of ticker_unit counts its calls: ${seven.join(',')} / ${eleven.join(',')}`);
  return index;
}
