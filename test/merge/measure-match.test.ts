/** How much of a profile a build uses, and how fresh data and a carried profile are weighed (pure). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { identityOfKey, measureMatch, planCarryWeights, type ProfileRecord } from '../../src/merge/measure-match.js';

const record = (key: string, name: string, mass: number): ProfileRecord => ({
  key,
  identity: identityOfKey(key),
  name,
  mass,
});

describe('measureMatch', () => {
  const profile = [
    record('aa:1', 'main', 300),
    record('bb:2', 'step', 600),
    record('cc:3', 'cell', 100),
    record('dd:4', 'unused', 0),
  ];

  it('counts the functions with counts whose key the build has, and the share of counts on them', () => {
    const m = measureMatch(profile, ['aa:1', 'bb:9', 'ee:5']);
    assert.deepEqual(m, {
      functions: 3,
      matched: 1,
      changed: 1,
      gone: 1,
      share: 0.3,
      lost: [
        { name: 'step', share: 0.6 },
        { name: 'cell', share: 0.1 },
      ],
    });
  });

  it('is whole when every key is there, and names at most five lost functions, hottest first', () => {
    assert.equal(measureMatch(profile, ['aa:1', 'bb:2', 'cc:3']).share, 1);
    const many = Array.from({ length: 8 }, (_, i) => record(`f${i}:1`, `f${i}`, i + 1));
    assert.deepEqual(
      measureMatch(many, []).lost.map((l) => l.name),
      ['f7', 'f6', 'f5', 'f4', 'f3'],
    );
    assert.equal(measureMatch([], []).share, 1);
  });

  it('knows a GCC function by its object and ident, whatever its checksums', () => {
    assert.equal(identityOfKey('src#a.gcda:17:123:456'), 'src#a.gcda:17');
    assert.equal(identityOfKey('4f1a3b12705b18f8:a6594bb1c55d007'), '4f1a3b12705b18f8');
    const m = measureMatch([record('o.gcda:17:1:2', 'o function 17', 5)], ['o.gcda:17:1:3']);
    assert.deepEqual([m.changed, m.gone], [1, 0]);
  });
});

describe('planCarryWeights', () => {
  it('scales the larger side down to the counts of the smaller on the functions both have', () => {
    assert.deepEqual(planCarryWeights(10, 1000), { fresh: 1, carried: 0.01 });
    assert.deepEqual(planCarryWeights(400, 100), { fresh: 0.25, carried: 1 });
    assert.deepEqual(planCarryWeights(0, 100), { fresh: 1, carried: 1 });
  });
});
