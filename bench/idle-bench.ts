/**
 * Benchmark (not a test): the daemon loop with nothing to do. Starts the
 * engine on an empty spool with a managed package, lets it settle, then
 * measures its CPU time over the window and its peak RSS (targets: ~0 CPU,
 * ≤ 80 MB). Usage: node dist/bench/idle-bench.js [--seconds 60]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { rmSync } from 'node:fs';
import { openTestCollector } from '../test/support/collector.js';
import { stateLayout } from '../src/state/state-layout.js';
import { buildClangExample, runExample, tempDir } from '../test/support/spool-fixture.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' } } });
const windowMs = Number(values.seconds) * 1000;

const root = tempDir('bench-idle');
const example = await buildClangExample(root, 'idle');
const locations = stateLayout(join(root, 'state'));
// One real profile first, so the watchers, the db and the merge path have all been used once.
await runExample(example, locations.spoolDir);
const engine = openTestCollector({
  layout: locations,
  packages: [{ name: example.name, manifestPath: example.manifestPath }],
});
engine.start();
for (let i = 0; i < 500 && (engine.status().packages[0]?.generation ?? 0) < 1; i++)
  await new Promise((r) => setTimeout(r, 10));
await new Promise((r) => setTimeout(r, 500));

const cpuBefore = process.cpuUsage();
await new Promise((r) => setTimeout(r, windowMs));
const cpu = process.cpuUsage(cpuBefore);
const maxRssKiB = process.resourceUsage().maxRSS;
await engine.stop();
engine.close();
rmSync(root, { recursive: true, force: true });

const cpuMs = (cpu.user + cpu.system) / 1000;
process.stdout.write(
  `${[
    `idle window: ${(windowMs / 1000).toFixed(0)} s`,
    `CPU time: ${cpuMs.toFixed(1)} ms (${((cpuMs / windowMs) * 100).toFixed(4)} % of one core; target ~0)`,
    `peak RSS: ${(maxRssKiB / 1024).toFixed(1)} MiB (target <= 80)`,
  ].join('\n')}\n`,
);
