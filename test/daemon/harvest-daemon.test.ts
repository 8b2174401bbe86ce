/**
 * The daemon loop: after start(), new and changed profiles are noticed through
 * file events alone (the periodic rescan is set far beyond the test), merged,
 * and stop() ends the loop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openTestCollector } from '../support/collector.js';
import { stateLayout } from '../../src/state/state-layout.js';
import { buildClangExample, buildGccExample, runExample, tempDir, type Example } from '../support/spool-fixture.js';

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`not reached: ${what}`);
}

for (const build of [buildClangExample, buildGccExample]) {
  test(`file events drive harvests (${build === buildClangExample ? 'clang' : 'gcc'})`, async () => {
    const root = tempDir('daemon');
    const example: Example = await build(root, 'daemonic');
    const locations = stateLayout(join(root, 'state'));
    const engine = openTestCollector({
      layout: locations,
      packages: [{ name: example.name, manifestPath: example.manifestPath }],
      limits: { rescanIntervalMs: 3_600_000, debounceMs: 20 },
    });
    const generation = () => engine.status().packages.find((p) => p.name === example.name)?.generation ?? 0;
    try {
      engine.start();
      await runExample(example, locations.spoolDir);
      await until(() => generation() === 1, 'the first run is merged');
      // The second run merges into the (now empty) file the first one left: still an event.
      await runExample(example, locations.spoolDir);
      await until(() => generation() === 2, 'the second run is merged');
    } finally {
      await engine.stop();
      engine.close();
    }
  });
}
