/**
 * The daemon loop: after start(), new and changed profiles are noticed through
 * file events alone (the periodic rescan is set far beyond the test), merged,
 * and stop() ends the loop; a package registered while it runs (the daemon
 * switching to a BOLT-instrumented variant) is followed at once, and a file
 * left busy by a pass is taken soon after its writer ends (no event says so).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openTestCollector, type TestCollector } from '../support/collector.js';
import type { PackageSource } from '../../src/collect/collector.js';
import { stateLayout, type StateLayout } from '../../src/state/state-layout.js';
import {
  buildBoltExample,
  buildClangExample,
  buildGccExample,
  claimUserDir,
  runExample,
  tempDir,
  type Example,
} from '../support/spool-fixture.js';

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`not reached: ${what}`);
}

/** A collector on `layout` that follows file events only (the rescan is far beyond the test), started; stopped after `body`. */
async function withWatchingCollector(
  layout: StateLayout,
  packages: PackageSource[],
  name: string,
  body: (engine: TestCollector, generation: () => number) => Promise<void>,
): Promise<void> {
  const engine = openTestCollector({ layout, packages, limits: { rescanIntervalMs: 3_600_000, debounceMs: 20 } });
  try {
    engine.start();
    await body(engine, () => engine.status().packages.find((p) => p.name === name)?.generation ?? 0);
  } finally {
    await engine.stop();
    engine.close();
  }
}

for (const build of [buildClangExample, buildGccExample]) {
  test(`file events drive harvests (${build === buildClangExample ? 'clang' : 'gcc'})`, async () => {
    const root = tempDir('daemon');
    const example: Example = await build(root, 'daemonic');
    const locations = stateLayout(join(root, 'state'));
    const packages = [{ name: example.name, manifestPath: example.manifestPath }];
    await withWatchingCollector(locations, packages, example.name, async (_engine, generation) => {
      await runExample(example, locations.spoolDir);
      await until(() => generation() === 1, 'the first run is merged');
      // The second run merges into the (now empty) file the first one left: still an event.
      await runExample(example, locations.spoolDir);
      await until(() => generation() === 2, 'the second run is merged');
    });
  });
}

test('a BOLT package registered after start() is harvested through file events: its directory is watched at once', async () => {
  const root = tempDir('daemon-bolt');
  // Outside the spool, as a BOLT build's directory is (<defaultProfileDir>/bolt).
  const example = await buildBoltExample(root, 'boltlater', join(root, 'bolt'));
  // The user's own directory does not exist yet: the program's writer makes it when the program starts.
  rmSync(join(root, 'bolt', String(process.getuid!())), { recursive: true });
  const locations = stateLayout(join(root, 'state'));
  await withWatchingCollector(locations, [], example.name, async (engine, generation) => {
    // The passes start() runs are over long before this, so only registering can bring the next one.
    await new Promise((r) => setTimeout(r, 1000));
    // As the daemon does once the BOLT-instrumented variant is built; the program runs right after.
    engine.collector.register(example.name, example.manifestPath);
    await new Promise((r) => setTimeout(r, 500));
    claimUserDir(join(root, 'bolt'), process.getuid!());
    await runExample(example, locations.spoolDir);
    await until(() => generation() === 1, 'the BOLT run is merged');
    await runExample(example, locations.spoolDir);
    await until(() => generation() === 2, 'the second BOLT run is merged');
  });
});

test('a BOLT profile whose writer still ran at the pass is taken once the writer is gone, without another file event', async () => {
  const root = tempDir('daemon-busy');
  const example = await buildBoltExample(root, 'boltbusy', join(root, 'bolt'));
  const boltDir = join(root, 'bolt', String(process.getuid!()));
  const locations = stateLayout(join(root, 'state'));
  // One real run's profiles, set aside; they come back below named after a process that is still running.
  await runExample(example, locations.spoolDir);
  const held = join(root, 'held');
  mkdirSync(held);
  for (const name of readdirSync(boltDir)) renameSync(join(boltDir, name), join(held, name));
  const writer = spawn('sleep', ['60']);
  await new Promise((r) => writer.once('spawn', r));
  const packages = [{ name: example.name, manifestPath: example.manifestPath }];
  try {
    await withWatchingCollector(locations, packages, example.name, async (_engine, generation) => {
      for (const name of readdirSync(held)) {
        const staged = join(root, name);
        copyFileSync(join(held, name), staged);
        renameSync(staged, join(boltDir, name.replace(/\.\d+\.fdata$/, `.${writer.pid}.fdata`)));
      }
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(generation(), 0, 'nothing is taken while its writer runs');
      writer.kill('SIGKILL');
      await new Promise((r) => writer.once('exit', r));
      await until(() => generation() === 1, 'the profile is merged once its writer is gone');
      assert.deepEqual(readdirSync(boltDir), []);
    });
  } finally {
    writer.kill('SIGKILL');
  }
});
