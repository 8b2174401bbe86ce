/**
 * Indirect-call targets are recorded as addresses, which differ between
 * processes (ASLR): a profile that several processes merged into inside the
 * runtime keeps the counters but not the later processes' targets. With one
 * raw profile per process (`%p` in the spool pattern) the profile from N runs
 * must not depend on when they were harvested: all at the end, or after each
 * run, give the same indirect-call targets, for an executable and a shared
 * library, all of them resolved to a function name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { run } from '../../src/process/run.js';
import { stateLayout } from '../../src/state/state-layout.js';
import { getPackage } from '../../src/state/package-records.js';
import { withDatabase } from '../../src/state/database.js';
import { openTestCollector } from '../support/collector.js';
import { buildClangExample, LLVM_PROFDATA, runExample, tempDir, type Example } from '../support/spool-fixture.js';

// Calls through function pointers in both the program and its library, with a skewed mix of targets.
const LIB = `
static int lib_add(int x) { return x + 3; }
static int lib_mul(int x) { return x * 3; }
static int lib_neg(int x) { return -x; }
static int (*lib_ops[3])(int) = { lib_add, lib_mul, lib_neg };
int lib_work(int n) { int s = 0; for (int i = 0; i < n; i++) s += lib_ops[(i % 7 == 0) ? 2 : (i % 3 == 0)](i); return s; }
`;
const PROG = `
#include <stdio.h>
int lib_work(int n);
static int twice(int x) { return 2 * x; }
static int inc(int x) { return x + 1; }
static int dec(int x) { return x - 1; }
static int (*ops[3])(int) = { twice, inc, dec };
int main(int argc, char **argv) {
  int s = 0;
  for (int i = 0; i < 1000; i++) s += ops[(i % 10 == 0) ? 2 : (i & 1)](i);
  s += lib_work(300 + argc);
  printf("%d\\n", s);
  return 0;
}
`;

/** Runs the program `runs` times, harvesting after each run or once at the end; returns the merged profile's indirect-call targets. */
async function targets(example: Example, root: string, runs: number, harvest: 'each' | 'end'): Promise<string> {
  const layout = stateLayout(join(root, `state-${harvest}`));
  const collector = openTestCollector({
    layout,
    packages: [{ name: example.name, manifestPath: example.manifestPath }],
  });
  try {
    for (let i = 0; i < runs; i++) {
      await runExample(example, layout.spoolDir);
      if (harvest === 'each') await collector.runOnce();
    }
    const report = await collector.runOnce();
    assert.deepEqual(report.errors, []);
  } finally {
    collector.close();
  }
  const merged = await withDatabase(layout.database, (db) => getPackage(db, example.name)!.mergedPath!);
  const { stdout } = await run(LLVM_PROFDATA, ['show', '--ic-targets', '--all-functions', merged]);
  return stdout;
}

/** The indirect-call target lines ("[ 0, name, count ]") of `llvm-profdata show --ic-targets`. */
function targetLines(show: string): string[] {
  return show
    .split('\n')
    .filter((line) => /^\s*\[\s*\d+,/.test(line))
    .map((line) => line.trim());
}

test('N runs give the same indirect-call targets whether harvested after each run or all at the end, all resolved', async () => {
  const root = tempDir('vp');
  const example = await buildClangExample(root, 'vp', { prog: PROG, lib: LIB });
  const end = await targets(example, root, 4, 'end');
  const each = await targets(example, root, 4, 'each');
  const lines = targetLines(end);
  assert.ok(lines.length >= 5, `targets in the program and in the library:\n${end}`);
  assert.deepEqual(targetLines(each), lines);
  // An unresolved target is printed with an empty name or as "External Symbol".
  for (const line of lines)
    assert.match(line, /^\[\s*\d+,\s*(?!External Symbol)[^,\s][^,]*,\s*\d+\s*\]/, `an unresolved target: ${line}`);
  // Both modules' sites are there: the program's dispatch and the library's.
  assert.ok(lines.some((l) => l.includes('twice')) && lines.some((l) => l.includes('lib_mul')), lines.join('\n'));
});
