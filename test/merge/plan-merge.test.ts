/** Pure merge planning: gcda layers, the overlap measure, names of outputs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  countOverlap,
  generationName,
  packageDirName,
  planContributorWeights,
  planGcdaLayers,
} from '../../src/merge/plan-merge.js';
import type { StagedRecord } from '../../src/state/harvest-journal.js';

test('gcda merge layers never hold one relative path twice', () => {
  const staged = (id: number, relPath: string): StagedRecord => ({
    id,
    package: 'g',
    kind: 'gcda',
    path: `/st/${id}`,
    relPath,
    bytes: 1,
    files: 1,
    contributor: 0,
    runs: {},
    mass: 0,
  });
  const layers = planGcdaLayers([staged(1, 'a.gcda'), staged(2, 'b.gcda'), staged(3, 'a.gcda'), staged(4, 'a.gcda')]);
  assert.deepEqual(
    layers.map((l) => l.map((s) => s.id)),
    [[1, 2], [3], [4]],
  );
});

test('overlap is 1 for proportional profiles and lower when the shape moves', () => {
  const m = (entries: [string, bigint][]) => new Map(entries);
  assert.equal(
    countOverlap(
      m([
        ['x', 1n],
        ['y', 3n],
      ]),
      m([
        ['x', 2n],
        ['y', 6n],
      ]),
    ),
    1,
  );
  assert.equal(
    countOverlap(
      m([
        ['x', 1n],
        ['y', 1n],
      ]),
      m([
        ['x', 1n],
        ['z', 1n],
      ]),
    ),
    0.5,
  );
  assert.equal(countOverlap(m([['x', 0n]]), m([['x', 1n]])), null);
});

test('generation names and package directories', () => {
  assert.equal(generationName(3, 'clang'), 'gen-3.profdata');
  assert.equal(generationName(3, 'gcc'), 'gen-3.gcda.d');
  assert.equal(packageDirName('../etc/x y'), '__etc_x_y');
});

test('contributor weights: nobody over the cap when several contributed; one alone or all under the cap keep everything', () => {
  const share = (masses: [number, number][], cap: number) => {
    const weights = planContributorWeights(new Map(masses), cap);
    const total = masses.reduce((sum, [c, m]) => sum + m * weights.get(c)!, 0);
    return new Map(masses.map(([c, m]) => [c, (m * weights.get(c)!) / total]));
  };
  assert.deepEqual([...planContributorWeights(new Map([[1, 1e15]]), 0.5)], [[1, 1]]);
  assert.deepEqual(
    [
      ...planContributorWeights(
        new Map([
          [1, 40],
          [2, 60],
        ]),
        0.7,
      ),
    ],
    [
      [1, 1],
      [2, 1],
    ],
  );
  // A forger with a million times the honest mass ends at exactly the cap; the honest user keeps all of theirs.
  const forged = share(
    [
      [1, 100],
      [2, 1e8],
    ],
    0.5,
  );
  assert.ok(Math.abs(forged.get(2)! - 0.5) < 1e-9);
  assert.equal(
    planContributorWeights(
      new Map([
        [1, 100],
        [2, 1e8],
      ]),
      0.5,
    ).get(1),
    1,
  );
  // Three contributors, cap 0.4: the two large ones are capped, the small one keeps its data.
  const three = share(
    [
      [1, 10],
      [2, 1000],
      [3, 900],
    ],
    0.4,
  );
  assert.ok(three.get(2)! <= 0.4 + 1e-9 && three.get(3)! <= 0.4 + 1e-9, JSON.stringify([...three]));
  assert.equal(
    planContributorWeights(
      new Map([
        [1, 10],
        [2, 1000],
        [3, 900],
      ]),
      0.4,
    ).get(1),
    1,
  );
  // A cap below 1/n cannot hold for everyone: equal shares.
  const equal = share(
    [
      [1, 10],
      [2, 20],
      [3, 30],
    ],
    0.2,
  );
  for (const v of equal.values()) assert.ok(Math.abs(v - 1 / 3) < 1e-9);
  // Contributors without data take no share and do not count.
  assert.deepEqual(
    [
      ...planContributorWeights(
        new Map([
          [1, 0],
          [2, 50],
        ]),
        0.5,
      ),
    ],
    [
      [1, 1],
      [2, 1],
    ],
  );
});
