/**
 * Crash safety: the engine is killed with SIGKILL at every named step of
 * harvest and merge, and at random moments while programs run; after a
 * restart every counter is still exactly N times one run's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../src/process/run.js';
import { openTestCollector } from '../support/collector.js';
import { FAULT_POINTS } from '../../src/durable/fault-points.js';
import { stateLayout } from '../../src/state/state-layout.js';
import { openDatabase } from '../../src/state/database.js';
import { getPackage } from '../../src/state/package-records.js';
import { copyFileSync, mkdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import {
  LLVM_PROFDATA,
  boltCounts,
  buildBoltExample,
  buildClangExample,
  buildGccExample,
  clangCounts,
  gccCounts,
  runExample,
  scaled,
  tempDir,
  type Example,
} from '../support/spool-fixture.js';

const CHILD = fileURLToPath(new URL('../support/collector-child.js', import.meta.url));

/** Runs the engine child; resolves with whether it was killed. */
async function child(
  stateDir: string,
  example: Example,
  fault: string,
  passes: number,
  onPid?: (pid: number) => void,
): Promise<boolean> {
  try {
    await run(
      process.execPath,
      [
        CHILD,
        stateDir,
        JSON.stringify([{ name: example.name, manifestPath: example.manifestPath }]),
        fault,
        String(passes),
      ],
      {
        onSpawn: onPid,
      },
    );
    return false;
  } catch (error) {
    if (/killed by SIGKILL/.test((error as Error).message)) return true;
    throw error;
  }
}

/** Sums counter maps key by key. */
function add(a: Map<string, bigint>, b: ReadonlyMap<string, bigint>): Map<string, bigint> {
  for (const [k, v] of b) a.set(k, (a.get(k) ?? 0n) + v);
  return a;
}

/**
 * The merged counts after a final clean pass, plus the counts of copies that recovery set aside as
 * ambiguous (a program wrote to the file between the crash and the restart). Merged + set aside must
 * equal N runs exactly: anything else is a lost or double-counted run.
 */
async function finalCounts(
  example: Example,
  stateDir: string,
): Promise<{ merged: Map<string, bigint>; setAside: Map<string, bigint>; ambiguous: number }> {
  const locations = stateLayout(stateDir);
  const engine = openTestCollector({
    layout: locations,
    packages: [{ name: example.name, manifestPath: example.manifestPath }],
  });
  try {
    const report = await engine.runOnce();
    assert.deepEqual(report.errors, []);
  } finally {
    engine.close();
  }
  const db = openDatabase(locations.database);
  const pkg = getPackage(db, example.name)!;
  const setAsideRows = db
    .prepare("SELECT source_path, kept_path FROM quarantine WHERE reason = 'ambiguous-after-crash'")
    .all() as { source_path: string; kept_path: string }[];
  const stagedLeft = (db.prepare('SELECT COUNT(*) AS n FROM staged').get() as { n: number }).n;
  db.close();
  assert.equal(stagedLeft, 0, 'every staged input was merged');
  const merged =
    example.toolchain === 'clang'
      ? await clangCounts(pkg.mergedPath!)
      : example.toolchain === 'gcc'
        ? gccCounts(pkg.mergedPath!)
        : boltCounts(pkg.mergedPath!);
  const setAside = new Map<string, bigint>();
  for (const row of setAsideRows) {
    assert.ok(row.kept_path, 'the set-aside copy is kept');
    if (example.toolchain === 'bolt') {
      // A BOLT profile's name says which file it is: <build id>.<pid>.fdata.
      const dir = tempDir('aside');
      copyFileSync(row.kept_path, join(dir, `${basename(row.source_path).split('.')[0]}.fdata`));
      add(setAside, boltCounts(dir));
    } else if (example.toolchain === 'clang') {
      const out = join(tempDir('aside'), 'a.profdata');
      await run(LLVM_PROFDATA, ['merge', '-o', out, row.kept_path]);
      add(setAside, await clangCounts(out));
    } else {
      const rel = row.source_path.replace(/^.*\/gcda\/[^/]+\//, '');
      const dir = tempDir('aside');
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      copyFileSync(row.kept_path, join(dir, rel));
      add(setAside, gccCounts(dir));
    }
  }
  return { merged, setAside, ambiguous: setAsideRows.length };
}

for (const toolchain of ['clang', 'gcc', 'bolt'] as const) {
  test(`${toolchain}: SIGKILL at every step and at random moments never loses or double-counts a run`, async () => {
    const root = tempDir(`crash-${toolchain}`);
    const example =
      toolchain === 'clang'
        ? await buildClangExample(root, 'crashy')
        : toolchain === 'gcc'
          ? await buildGccExample(root, 'crashy')
          : await buildBoltExample(root, 'crashy', join(root, 'baked', 'bolt'));
    const oneState = join(root, 'one');
    await runExample(example, stateLayout(oneState).spoolDir);
    const single = (await finalCounts(example, oneState)).merged;

    const stateDir = join(root, 'state');
    const spool = stateLayout(stateDir).spoolDir;
    let runs = 0;
    let kills = 0;
    // Every step, the first and the second time it is reached.
    for (const point of FAULT_POINTS) {
      for (const nth of [1, 2]) {
        await runExample(example, spool);
        await runExample(example, spool);
        runs += 2;
        if (point === 'recover:judged') {
          // Leave an unfinished harvest behind so that recovery has work, then kill recovery itself.
          if (await child(stateDir, example, 'harvest:journaled:1', 1)) kills++;
        }
        if (await child(stateDir, example, `${point}:${nth}`, 3)) kills++;
        // After the first kill the engine restarts before any program writes (recovery can decide exactly);
        // after the second, programs write first (recovery may have to set a copy aside).
        if (nth === 1) await child(stateDir, example, 'none', 1);
      }
    }
    // Random moments while programs run and the engine loops without pause.
    for (let trial = 0; trial < 40; trial++) {
      let pid = 0;
      const engineDone = child(stateDir, example, 'none', 0, (p) => (pid = p));
      const programs = Array.from({ length: 1 + (trial % 3) }, () => runExample(example, spool));
      runs += programs.length;
      await Promise.all(programs);
      await new Promise((r) => setTimeout(r, Math.random() * 60));
      // The child may still be loading; wait until it has a pid.
      while (pid === 0) await new Promise((r) => setTimeout(r, 5));
      process.kill(pid, 'SIGKILL');
      assert.equal(await engineDone, true);
      kills++;
    }
    assert.ok(kills >= 50, `at least 50 kills (got ${kills})`);
    const final = await finalCounts(example, stateDir);
    assert.deepEqual(add(final.merged, final.setAside), scaled(single, runs));
    // Most of the data must have been merged, not set aside.
    assert.ok(final.ambiguous < kills / 2, `few copies set aside (${final.ambiguous})`);
  });
}
