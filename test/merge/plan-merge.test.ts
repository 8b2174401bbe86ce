/** Pure merge planning: gcda layers, the overlap measure, names of outputs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countOverlap, generationName, packageDirName, planGcdaLayers } from '../../src/merge/plan-merge.js';
import type { StagedRecord } from '../../src/state/harvest-journal.js';

test('gcda merge layers never hold one relative path twice', () => {
  const staged = (id: number, relPath: string): StagedRecord => ({ id, package: 'g', kind: 'gcda', path: `/st/${id}`, relPath, bytes: 1, files: 1 });
  const layers = planGcdaLayers([staged(1, 'a.gcda'), staged(2, 'b.gcda'), staged(3, 'a.gcda'), staged(4, 'a.gcda')]);
  assert.deepEqual(layers.map((l) => l.map((s) => s.id)), [[1, 2], [3], [4]]);
});

test('overlap is 1 for proportional profiles and lower when the shape moves', () => {
  const m = (entries: [string, bigint][]) => new Map(entries);
  assert.equal(countOverlap(m([['x', 1n], ['y', 3n]]), m([['x', 2n], ['y', 6n]])), 1);
  assert.equal(countOverlap(m([['x', 1n], ['y', 1n]]), m([['x', 1n], ['z', 1n]])), 0.5);
  assert.equal(countOverlap(m([['x', 0n]]), m([['x', 1n]])), null);
});

test('generation names and package directories', () => {
  assert.equal(generationName(3, 'clang'), 'gen-3.profdata');
  assert.equal(generationName(3, 'gcc'), 'gen-3.gcda.d');
  assert.equal(packageDirName('../etc/x y'), '__etc_x_y');
});
