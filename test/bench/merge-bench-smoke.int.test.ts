/**
 * Smoke runs of the benchmarks at a tiny size: they build, run the engine
 * end to end and print their ratios. Numbers are not asserted (benchmarks, not tests).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { run } from '../../src/process/run.js';

const bench = (name: string) => fileURLToPath(new URL(`../../bench/${name}`, import.meta.url));

test('the merge benchmark runs end to end at a tiny size', async () => {
  const { stdout } = await run(process.execPath, [
    bench('merge-bench.js'),
    '--packages',
    '2',
    '--profiles',
    '20',
    '--functions',
    '30',
  ]);
  assert.match(stdout, /^profiles: 20, packages: 2, file system: \S+, [0-9.]+ KiB per profile$/m);
  assert.match(stdout, /^run 1: .*\(cpu [0-9.]+ s: [0-9.]+ own, [0-9.]+ llvm-profdata\)$/m);
  // At this size a side's CPU time can round to 0 (clock ticks), so the CPU ratio may print as Infinity or NaN.
  assert.match(stdout, /^ratio engine\/direct: wall [0-9.]+ .*, cpu \S+, medians of 3$/m);
});

test('the idle benchmark runs end to end over one second', async () => {
  const { stdout } = await run(process.execPath, [bench('idle-bench.js'), '--seconds', '1']);
  assert.match(stdout, /^CPU time: [0-9.]+ ms/m);
  assert.match(stdout, /^peak RSS: [0-9.]+ MiB/m);
});

test('the fleet benchmark runs end to end at a tiny size', async () => {
  const { stdout } = await run(process.execPath, [
    bench('fleet-bench.js'),
    '--machines',
    '1,3',
    '--packages',
    '2',
    '--functions',
    '5',
  ]);
  assert.match(stdout, /^fleet aggregator round: 2 packages of 5 functions; /m);
  assert.match(stdout, /^ +1 +2 +[0-9.]+ +[0-9.]+ /m);
  assert.match(stdout, /^ +3 +6 +[0-9.]+ +[0-9.]+ /m);
});
