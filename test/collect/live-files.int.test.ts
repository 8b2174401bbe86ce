/**
 * Programs that run for days, in continuous collection: the collector reads
 * their live profiles by snapshots while they run and merges exactly what the
 * counters grew, never emptying a mapped file. A program that works through 20
 * harvests and is then killed with SIGKILL has contributed exactly its counts,
 * nothing twice, and never crashed because of a harvest; its files are removed
 * at the second pass that finds nobody holding them. A program that forks
 * without exec is counted as docs/harvest.md says: in continuous collection
 * the child counts into its parent's live file and what ran before the fork
 * counts once; at exit, the child writes its own profile and the part before
 * the fork counts twice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync } from 'node:fs';
import { run } from '../../src/process/run.js';
import { join } from 'node:path';
import { withDatabase } from '../../src/state/database.js';
import { summarizeLive } from '../../src/state/live-snapshots.js';
import { getPackage } from '../../src/state/package-records.js';
import { stateLayout } from '../../src/state/state-layout.js';
import { openTestCollector } from '../support/collector.js';
import { buildExample, makeTempDir } from '../support/nix.js';
import { readFunctionCounts } from '../support/profile-counts.js';
import { LLVM_PROFDATA, writerEnvironment } from '../support/spool-fixture.js';

const work = makeTempDir('live');

/** Every counter of a profile, by function name. */
async function countersOf(profile: string): Promise<Map<string, bigint[]>> {
  return new Map((await readFunctionCounts(LLVM_PROFDATA, profile)).map((fn) => [fn.name, fn.counters] as const));
}

/** The counters of the library's functions (they run once per unit of work, nowhere else). */
function library(counters: Map<string, bigint[]>): Map<string, bigint[]> {
  return new Map([...counters].filter(([name]) => name === 'ticker_unit' || name.includes('libticker')));
}

/** A reference: the same program doing `units` units in exit mode, merged directly. */
async function reference(bin: string, units: number): Promise<Map<string, bigint[]>> {
  const dir = join(work, `reference-${units}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  await run(bin, ['-n', String(units)], {
    env: { ...process.env, LLVM_PROFILE_FILE: join(dir, '%p-%m.profraw'), NIX_PGO_COLLECTION: 'exit' },
  });
  await run(LLVM_PROFDATA, ['merge', '-o', join(dir, 'merged.profdata'), ...readdirSync(dir).map((f) => join(dir, f))]);
  return countersOf(join(dir, 'merged.profdata'));
}

test('a live program through 20 harvests, then SIGKILL: exactly its counts, nothing twice, never disturbed', async () => {
  const out = await buildExample(work, 'tickerLive.pgo.profile');
  const layout = stateLayout(join(work, 'state-kill'));
  const collector = openTestCollector({
    layout,
    packages: [{ name: 'tickerLive', manifestPath: join(out, 'nix-support/pgo.json') }],
  });
  const program = spawn(join(out, 'bin/ticker'), [], {
    env: writerEnvironment(layout.spoolDir),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let printed = '';
  let errors = '';
  program.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
  program.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));
  const exited = once(program, 'exit');
  const units = () => printed.split('\n').filter((l) => l.startsWith('tick ')).length;
  const feed = async (n: number) => {
    const target = units() + n;
    program.stdin!.write('x\n'.repeat(n));
    while (units() < target) await new Promise((r) => setTimeout(r, 10));
  };
  try {
    for (let pass = 0; pass < 20; pass++) {
      await feed(10);
      const report = await collector.runOnce();
      assert.deepEqual(report.errors, []);
      assert.equal(program.exitCode, null, `still running after harvest ${pass + 1}`);
      assert.equal(program.signalCode, null);
    }
    // Idle but alive: it holds its files, which stay however many passes see them unchanged.
    for (let pass = 0; pass < 2; pass++) assert.equal((await collector.runOnce()).live, 2);
    // While it runs, its data is merged and the file counts as a running program.
    const running = await withDatabase(layout.database, (db) => ({
      live: summarizeLive(db).get('tickerLive'),
      pkg: getPackage(db, 'tickerLive')!,
    }));
    assert.equal(running.live?.running, 2, 'the program and its library, each with a live file');
    assert.deepEqual(
      library(await countersOf(running.pkg.mergedPath!)),
      library(await reference(join(out, 'bin/ticker'), 200)),
    );
    await feed(7);
    program.kill('SIGKILL');
    const [, signal] = await exited;
    assert.equal(signal, 'SIGKILL');
    const last = await collector.runOnce();
    assert.deepEqual(last.errors, []);
    const merged = await withDatabase(layout.database, (db) => getPackage(db, 'tickerLive')!.mergedPath!);
    assert.deepEqual(
      library(await countersOf(merged)),
      library(await reference(join(out, 'bin/ticker'), 207)),
      'the last counts are merged at the first pass after the kill',
    );
    assert.equal(last.live, 2, 'the files stay one more pass: nobody held them at this one');
    const removal = await collector.runOnce();
    assert.equal(removal.live, 0, 'nobody held them at two passes in a row, and nothing changed: removed');
  } finally {
    if (program.exitCode === null && program.signalCode === null) program.kill('SIGKILL');
    collector.close();
  }
  assert.equal(errors, '', 'the program printed no profile error');
  const after = await withDatabase(layout.database, (db) => ({
    live: summarizeLive(db).get('tickerLive'),
    pkg: getPackage(db, 'tickerLive')!,
  }));
  assert.equal(after.live, undefined, 'no program runs any more');
  assert.equal(after.pkg.runs, 1, 'one run of the program');
  const merged = await countersOf(after.pkg.mergedPath!);
  assert.deepEqual(
    library(merged),
    library(await reference(join(out, 'bin/ticker'), 207)),
    'every unit up to the kill, once',
  );
  // The live files are gone with their programs: nothing is left in the user's directory.
  assert.deepEqual(readdirSync(join(layout.spoolDir, 'llvm', String(process.getuid!()))), []);
});

/** Runs `ticker -F -n 50` (the parent forks a worker and exits at once, as a program that daemonizes) and collects. */
async function forkAndCollect(attr: string): Promise<Map<string, bigint[]>> {
  const out = await buildExample(work, `${attr}.pgo.profile`);
  const layout = stateLayout(join(work, `state-fork-${attr}`));
  const collector = openTestCollector({
    layout,
    packages: [{ name: attr, manifestPath: join(out, 'nix-support/pgo.json') }],
  });
  try {
    const program = spawn(join(out, 'bin/ticker'), ['-F', '-n', '50'], {
      env: writerEnvironment(layout.spoolDir),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let printed = '';
    program.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
    await once(program, 'exit');
    for (let i = 0; i < 200 && !printed.includes('child done 50'); i++) await new Promise((r) => setTimeout(r, 25));
    assert.match(printed, /child done 50/);
    // The worker has printed its last line; give it the moment to exit and write (at exit) or unmap (live).
    await new Promise((r) => setTimeout(r, 300));
    await collector.runOnce();
    await collector.runOnce();
  } finally {
    collector.close();
  }
  const merged = await countersOf(await withDatabase(layout.database, (db) => getPackage(db, attr)!.mergedPath!));
  assert.deepEqual(
    library(merged),
    library(await reference(join(out, 'bin/ticker'), 50)),
    `${attr}: the worker's 50 units, once`,
  );
  return merged;
}

test("fork without exec: the worker's units count once; what ran before the fork counts once live, twice at exit", async () => {
  const live = await forkAndCollect('tickerLive');
  const atExit = await forkAndCollect('ticker');
  const sum = (counters: Map<string, bigint[]>) => (counters.get('main') ?? []).reduce((a, b) => a + b, 0n);
  // The same code: main's counts differ exactly by what the parent ran before the fork, which exit mode writes twice.
  assert.ok(sum(atExit) > sum(live), `main: ${sum(atExit)} at exit, ${sum(live)} live`);
});
