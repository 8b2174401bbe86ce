/**
 * Exact counts: a deterministic instrumented program run N times (one after
 * another and all at once) with harvest passes at random moments in between
 * yields a merged profile whose every counter is exactly N times one run's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openTestCollector } from '../support/collector.js';
import { stateLayout } from '../../src/state/state-layout.js';
import { getPackage } from '../../src/state/package-records.js';
import { openDatabase } from '../../src/state/database.js';
import {
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

/** The counters of exactly one run, merged by the engine itself in a fresh state dir. */
async function oneRun(example: Example, root: string): Promise<Map<string, bigint>> {
  const merged = await runAndMerge(example, join(root, `one-${example.name}`), 1, 'sequential');
  return merged.counts;
}

async function runAndMerge(
  example: Example,
  stateDir: string,
  runs: number,
  mode: 'sequential' | 'concurrent',
): Promise<{
  counts: Map<string, bigint>;
  runs: number | null;
  filesHarvested: number;
  functionsNonzero: number | null;
}> {
  const locations = stateLayout(stateDir);
  const engine = openTestCollector({
    layout: locations,
    packages: [{ name: example.name, manifestPath: example.manifestPath }],
  });
  try {
    await engine.runOnce();
    if (mode === 'sequential') {
      for (let i = 0; i < runs; i++) {
        await runExample(example, locations.spoolDir);
        if (Math.random() < 0.5) await engine.runOnce();
      }
    } else {
      // Harvest passes keep running while all programs run at once, so harvests land between and during their writes.
      let done = false;
      const passes = (async () => {
        while (!done) {
          await engine.runOnce();
          await new Promise((r) => setTimeout(r, Math.random() * 20));
        }
      })();
      await Promise.all(Array.from({ length: runs }, () => runExample(example, locations.spoolDir)));
      done = true;
      await passes;
    }
    const report = await engine.runOnce();
    assert.deepEqual(report.errors, []);
    const pkg = getPackage(openDatabase(locations.database), example.name)!;
    assert.ok(pkg.mergedPath, 'a merged profile exists');
    const counts =
      example.toolchain === 'clang'
        ? await clangCounts(pkg.mergedPath)
        : example.toolchain === 'gcc'
          ? gccCounts(pkg.mergedPath)
          : boltCounts(pkg.mergedPath);
    return { counts, runs: pkg.runs, filesHarvested: pkg.filesHarvested, functionsNonzero: pkg.functionsNonzero };
  } finally {
    await engine.stop();
    engine.close();
  }
}

for (const toolchain of ['clang', 'gcc'] as const) {
  test(`${toolchain}: N runs, sequential and concurrent, give exactly N× one run's counts`, async () => {
    const root = tempDir(`exact-${toolchain}`);
    const example =
      toolchain === 'clang' ? await buildClangExample(root, 'exacta') : await buildGccExample(root, 'exacta');
    const single = await oneRun(example, root);
    assert.ok(
      [...single.values()].some((v) => v > 0n),
      'one run produces nonzero counters',
    );

    const sequential = await runAndMerge(example, join(root, 'seq'), 6, 'sequential');
    assert.deepEqual(sequential.counts, scaled(single, 6));

    const concurrent = await runAndMerge(example, join(root, 'conc'), 12, 'concurrent');
    assert.deepEqual(concurrent.counts, scaled(single, 12));
    if (toolchain === 'gcc') assert.equal(concurrent.runs, 12);
    // The engine's count of functions that ran (read from raw profiles for clang) agrees with the merged profile.
    const functionsRun = new Set(
      [...concurrent.counts]
        .filter(([k, v]) => v > 0n && !k.endsWith('#runs'))
        .map(([k]) => k.slice(0, k.lastIndexOf('#'))),
    );
    assert.equal(concurrent.functionsNonzero, functionsRun.size);
    assert.ok(concurrent.filesHarvested >= 1);
  });
}

test("BOLT: N runs, sequential and concurrent, give exactly N× one run's branch counts, per instrumented file", async () => {
  const root = tempDir('exact-bolt');
  // A directory outside the spool, as a build baked in.
  const example = await buildBoltExample(root, 'exactb', join(root, 'baked', 'bolt'));
  const single = await oneRun(example, root);
  const files = new Set([...single.keys()].map((k) => k.slice(0, k.indexOf('\0'))));
  assert.equal(files.size, 2, 'the program and its library each have a profile');
  assert.ok([...single.values()].some((v) => v > 0n));

  const sequential = await runAndMerge(example, join(root, 'seq'), 5, 'sequential');
  assert.deepEqual(sequential.counts, scaled(single, 5));
  assert.equal(sequential.runs, 5);

  const concurrent = await runAndMerge(example, join(root, 'conc'), 10, 'concurrent');
  assert.deepEqual(concurrent.counts, scaled(single, 10));
  assert.equal(concurrent.runs, 10);
});
