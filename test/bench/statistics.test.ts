// The benchmark's statistics and ratio summaries, on hand-made series.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pairRatios, quantile, summarize } from '../../bench/real/statistics.js';
import {
  computeInstructionRatios,
  computeOracleShares,
  computeRatios,
  shareOfGain,
} from '../../bench/real/bench-result.js';

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
      'real-use': [0.9, 1.8, 1.1],
      oracle: [0.5, 1.0, 0.6],
    });
    assert.deepEqual(
      [ratios.nixPgoOverVanilla.min, ratios.nixPgoOverVanilla.median, ratios.nixPgoOverVanilla.max],
      [1.2, 1.25, 1.25],
    );
    assert.equal(ratios.instrumentedSlowdown.median, 1.5);
    assert.equal(ratios.nixPgoOverByHand.median, 1.2);
    assert.equal(ratios.byHandOverVanilla.median, 1);
    assert.equal(ratios.oracleOverVanilla.median, 2);
  });

  it('instruction ratios follow the same directions', () => {
    const r = computeInstructionRatios({
      vanilla: 100,
      instrumented: 130,
      'nix-pgo': 80,
      'by-hand': 80,
      'real-use': 50,
      oracle: 40,
    });
    assert.deepEqual(r, {
      nixPgoOverVanilla: 1.25,
      nixPgoOverByHand: 1,
      byHandOverVanilla: 1.25,
      realUseOverVanilla: 2,
      oracleOverVanilla: 2.5,
      instrumentedSlowdown: 1.3,
    });
  });
});

describe("share of the oracle's gain", () => {
  it('is (speedup - 1) / (oracle speedup - 1), in time and in instructions', () => {
    // The numbers: oracle 1.24x, PGO 1.085x over vanilla.
    assert.ok(Math.abs(shareOfGain(1.085, 1.24)! - 0.354) < 0.001);
    assert.equal(shareOfGain(1.24, 1.24), 1);
    assert.ok(shareOfGain(0.97, 1.2)! < 0, 'a loss is a negative share');
    assert.equal(shareOfGain(1.1, 1), null, 'an oracle that gains nothing has no gain to share');
    assert.equal(shareOfGain(1.1, undefined), null);
  });

  it('has a share for every variant with a speedup, BOLT only when present', () => {
    const s = (median: number, q1 = median) => ({ n: 1, median, q1, q3: median, min: median, max: median });
    const cpu = {
      nixPgoOverVanilla: s(1.1),
      nixPgoOverByHand: s(1),
      byHandOverVanilla: s(1.1),
      realUseOverVanilla: s(1.15),
      oracleOverVanilla: s(1.2),
      instrumentedSlowdown: s(1.3),
    };
    const shares = computeOracleShares(cpu, null);
    assert.deepEqual(Object.keys(shares), ['nix-pgo', 'by-hand', 'real-use']);
    assert.ok(Math.abs(shares['real-use']!.cpu! - 0.75) < 1e-9);
    assert.equal(shares['nix-pgo']!.instructions, null);
    const withBolt = computeOracleShares({ ...cpu, boltOverVanilla: s(1.3) }, null);
    assert.ok(Math.abs(withBolt['nix-pgo+bolt']!.cpu! - 1.5) < 1e-9, 'BOLT can go past what PGO alone can');
    // An oracle whose gain is within the noise has no share in time; instructions do not depend on noise.
    const noisy = computeOracleShares(
      { ...cpu, oracleOverVanilla: s(1.02, 0.99) },
      {
        nixPgoOverVanilla: 1.01,
        nixPgoOverByHand: 1,
        byHandOverVanilla: 1.01,
        realUseOverVanilla: 1.03,
        oracleOverVanilla: 1.04,
        instrumentedSlowdown: 1.2,
      },
    );
    assert.equal(noisy['nix-pgo']!.cpu, null);
    assert.ok(Math.abs(noisy['nix-pgo']!.instructions! - 0.25) < 1e-9);
  });
});
