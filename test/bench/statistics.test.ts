// The benchmark's statistics and ratio summaries, on hand-made series.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pairRatios, quantile, summarize } from '../../bench/real/statistics.js';
import { computeInstructionRatios, computeRatios } from '../../bench/real/bench-result.js';

describe('quantile and summarize', () => {
  it('interpolates between order statistics', () => {
    assert.equal(quantile([4, 1, 3, 2], 0.5), 2.5);
    assert.equal(quantile([1, 2, 3, 4, 5], 0.25), 2);
    assert.equal(quantile([10], 0.75), 10);
  });

  it('summarizes median, quartiles and extremes without reordering its input', () => {
    const values = [5, 1, 4, 2, 3];
    assert.deepEqual(summarize(values), { n: 5, median: 3, q1: 2, q3: 4, min: 1, max: 5 });
    assert.deepEqual(values, [5, 1, 4, 2, 3]);
  });

  it('refuses empty and unequal series', () => {
    assert.throws(() => quantile([], 0.5));
    assert.throws(() => pairRatios([1, 2], [1]));
  });
});

describe('ratios', () => {
  it('pairs repetitions: speedups are vanilla over optimized, slowdown is instrumented over vanilla', () => {
    const ratios = computeRatios({
      vanilla: [1.0, 2.0, 1.2],
      instrumented: [1.5, 3.0, 1.8],
      'nix-pgo': [0.8, 1.6, 1.0],
      'by-hand': [0.8, 2.0, 1.2],
    });
    assert.deepEqual(
      [ratios.nixPgoOverVanilla.min, ratios.nixPgoOverVanilla.median, ratios.nixPgoOverVanilla.max],
      [1.2, 1.25, 1.25],
    );
    assert.equal(ratios.instrumentedSlowdown.median, 1.5);
    assert.equal(ratios.nixPgoOverByHand.median, 1.2);
    assert.equal(ratios.byHandOverVanilla.median, 1);
  });

  it('instruction ratios follow the same directions', () => {
    const r = computeInstructionRatios({ vanilla: 100, instrumented: 130, 'nix-pgo': 80, 'by-hand': 80 });
    assert.deepEqual(r, {
      nixPgoOverVanilla: 1.25,
      nixPgoOverByHand: 1,
      byHandOverVanilla: 1.25,
      instrumentedSlowdown: 1.3,
    });
  });
});
