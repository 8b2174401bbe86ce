/**
 * BOLT profiles of programs that run for a long time (a build with a dump
 * interval): the watcher rewrites the profile every second with every count
 * so far; the collector merges what grew at each pass while the program runs,
 * and the last copy once the watcher is gone. The result is exactly one run's
 * counts, whether the program ended normally or was killed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../src/state/database.js';
import { getPackage } from '../../src/state/package-records.js';
import { stateLayout } from '../../src/state/state-layout.js';
import { openTestCollector, type TestCollector } from '../support/collector.js';
import { boltCounts, buildBoltExample, tempDir, type Example } from '../support/spool-fixture.js';

// Fixed work, then it waits for its input to end: its counts do not depend on how long it waits.
const WAITING_PROG = `
#include <stdio.h>
#include <unistd.h>
int lib_work(int n);
static int square(int x) { return x * x; }
int main(void) {
  int s = 0;
  for (int i = 0; i < 1000; i++) { if (i & 1) s += square(i); else s ^= lib_work(i % 50); }
  char buf[64];
  while (read(0, buf, sizeof buf) > 0) {}
  printf("%d\\n", s);
  return 0;
}
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function start(example: Example): ChildProcess {
  return spawn(example.exe, [], { stdio: ['pipe', 'ignore', 'inherit'] });
}

/**
 * Passes until the watchers wrote their last copies and the collector took them: no file left in the
 * directory and a merged profile of both files (the watchers write a second or so after the program ends).
 */
async function drain(collector: TestCollector, boltDir: string, stateDir: string, name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const report = await collector.runOnce();
    assert.deepEqual(report.errors, []);
    const files = new Set([...(merged(stateDir, name)?.keys() ?? [])].map((k) => k.slice(0, k.indexOf('\0'))));
    if (
      readdirSync(join(boltDir, String(process.getuid!()))).length === 0 &&
      report.harvested.busy === 0 &&
      files.size === 2
    )
      return;
    await sleep(200);
  }
  assert.fail(`files still in ${boltDir}: ${readdirSync(join(boltDir, String(process.getuid!()))).join(' ')}`);
}

function merged(stateDir: string, name: string): Map<string, bigint> | null {
  const db = openDatabase(stateLayout(stateDir).database);
  try {
    const pkg = getPackage(db, name);
    return pkg?.mergedPath ? boltCounts(pkg.mergedPath) : null;
  } finally {
    db.close();
  }
}

test('a BOLT profile dumped every second: merged while the program runs, exactly one run in the end, also after SIGKILL', async () => {
  const root = tempDir('live-fdata');
  const boltDir = join(root, 'baked', 'bolt');
  const example = await buildBoltExample(root, 'livebolt', boltDir, { dumpInterval: 1, prog: WAITING_PROG });
  /**
   * One run in its own state directory: `passesWhileRunning` collector passes 250 ms apart while it
   * waits, then it ends (`eof`: its input closes; `kill`: SIGKILL); returns what was merged while it
   * ran and what was merged once its watchers were done.
   */
  const runOnce = async (state: string, passesWhileRunning: number, end: 'eof' | 'kill') => {
    const stateDir = join(root, state);
    const collector = openTestCollector({
      layout: stateLayout(stateDir),
      packages: [{ name: example.name, manifestPath: example.manifestPath }],
    });
    try {
      const child = start(example);
      for (let i = 0; i < passesWhileRunning; i++) {
        await collector.runOnce();
        await sleep(250);
      }
      const whileRunning = merged(stateDir, example.name);
      if (end === 'eof') child.stdin!.end();
      else child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      await drain(collector, boltDir, stateDir, example.name);
      return { whileRunning, final: merged(stateDir, example.name)! };
    } finally {
      collector.close();
    }
  };

  // One run that ends at once, taken only after its watchers are gone.
  const one = (await runOnce('reference', 0, 'eof')).final;
  assert.ok([...one.values()].some((v) => v > 0n));

  // The same run, kept waiting: passes merge its growing copies while it runs, then its last one.
  const live = await runOnce('live', 12, 'eof');
  assert.ok(live.whileRunning, 'data was merged while the program ran');
  assert.deepEqual(live.final, one);

  // Killed while it waits: the watcher writes the counts so far; merged, they are what the program counted.
  const killed = await runOnce('killed', 12, 'kill');
  assert.ok(killed.whileRunning);
  assert.deepEqual(killed.final, killed.whileRunning, 'nothing lost or counted twice after SIGKILL');
});
