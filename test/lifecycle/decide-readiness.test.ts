import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideReadiness, type PackageMetrics, type ReadinessPolicy } from '../../src/lifecycle/decide-readiness.js';

const M = 1_000_000;
const policy: ReadinessPolicy = { thresholdCounts: M, minRuns: 0, convergence: null };
// Few raw bytes: the threshold counts what the merges added, not the size of the files.
const metrics: PackageMetrics = { mergedBytes: 200_000, bytesHarvested: 968, counts: M, runs: 3, convergence: null };

function kinds(m: Partial<PackageMetrics>, p: Partial<ReadinessPolicy> = {}): string[] {
  return decideReadiness({ ...metrics, ...m }, { ...policy, ...p }).blockers.map((b) => b.kind);
}

describe('decideReadiness', () => {
  it('is ready when the threshold is met exactly', () => {
    const readiness = decideReadiness(metrics, policy);
    assert.equal(readiness.ready, true);
    assert.equal(readiness.progress, 1);
    assert.deepEqual(readiness.blockers, []);
    assert.equal(readiness.reason, 'ready: 1.0M of 1.0M counts collected, 3 runs');
  });

  it('is not ready one count short, and does not round the amount up to the threshold', () => {
    const readiness = decideReadiness({ ...metrics, counts: M - 1 }, policy);
    assert.equal(readiness.ready, false);
    assert.deepEqual(
      readiness.blockers.map((b) => b.kind),
      ['threshold'],
    );
    assert.equal(readiness.reason, '0.9M of 1.0M counts collected');
    assert.ok(readiness.progress < 1 && readiness.progress > 0.99);
  });

  it('reports progress toward the threshold, capped at 1', () => {
    assert.equal(decideReadiness({ ...metrics, counts: 0.4 * M }, policy).reason, '0.4M of 1.0M counts collected');
    assert.equal(decideReadiness({ ...metrics, counts: 0.4 * M }, policy).progress, 0.4);
    assert.equal(decideReadiness({ ...metrics, counts: 5 * M }, policy).progress, 1);
    assert.equal(decideReadiness({ ...metrics, counts: 0, mergedBytes: 0 }, policy).progress, 0);
  });

  it('counts what was merged, however few bytes the files had', () => {
    assert.equal(decideReadiness({ ...metrics, bytesHarvested: 10 * M, counts: M / 2 }, policy).ready, false);
    assert.equal(decideReadiness({ ...metrics, bytesHarvested: 0, counts: M }, policy).ready, true);
  });

  it('shows small thresholds in their own unit', () => {
    const small = { ...policy, thresholdCounts: 500 };
    assert.equal(decideReadiness({ ...metrics, counts: 120 }, small).reason, '120 of 500 counts collected');
    assert.equal(
      decideReadiness({ ...metrics, counts: 2500 }, { ...policy, thresholdCounts: 5000 }).reason,
      '2.5k of 5.0k counts collected',
    );
    assert.equal(
      decideReadiness({ ...metrics, counts: 3e9 }, { ...policy, thresholdCounts: 2e9 }).reason,
      'ready: 3.0G of 2.0G counts collected, 3 runs',
    );
  });

  it('needs a merged profile even when enough counts were recorded', () => {
    assert.deepEqual(kinds({ mergedBytes: 0 }), ['no-profile']);
  });

  it('waits for the minimum number of runs', () => {
    assert.deepEqual(kinds({ runs: 9 }, { minRuns: 10 }), ['min-runs']);
    assert.equal(decideReadiness({ ...metrics, runs: 9 }, { ...policy, minRuns: 10 }).reason, '9 of 10 runs seen');
    assert.deepEqual(kinds({ runs: 10 }, { minRuns: 10 }), []);
  });

  it('ignores convergence when the policy does not ask for it, even if unmeasured', () => {
    assert.deepEqual(kinds({ convergence: null }, { convergence: null }), []);
    assert.deepEqual(kinds({ convergence: 0.1 }, { convergence: null }), []);
  });

  it('waits for convergence to be measured and then to reach the target', () => {
    assert.deepEqual(kinds({ convergence: null }, { convergence: 0.99 }), ['convergence-unmeasured']);
    assert.deepEqual(kinds({ convergence: 0.98 }, { convergence: 0.99 }), ['convergence']);
    assert.deepEqual(kinds({ convergence: 0.99 }, { convergence: 0.99 }), []);
    const ready = decideReadiness({ ...metrics, convergence: 0.995 }, { ...policy, convergence: 0.99 });
    assert.equal(ready.reason, 'ready: 1.0M of 1.0M counts collected, 3 runs, overlap 0.995 of 0.990');
  });

  it('lists every blocker at once, in a fixed order, joined into the reason', () => {
    const readiness = decideReadiness(
      { mergedBytes: 0, bytesHarvested: 0, counts: 0, runs: 0, convergence: null },
      { thresholdCounts: 2 * M, minRuns: 1, convergence: 0.9 },
    );
    assert.deepEqual(
      readiness.blockers.map((b) => b.kind),
      ['no-profile', 'threshold', 'min-runs', 'convergence-unmeasured'],
    );
    assert.equal(readiness.reason, readiness.blockers.map((b) => b.message).join('; '));
    assert.match(readiness.reason, /^no merged profile yet; 0 of 2\.0M counts collected; 0 of 1 run seen; /);
  });
});

describe('describeMeasures', () => {
  it('words each measure one way, rounding what there is down and what is missing up', () => {
    const measures = decideReadiness(
      { ...metrics, counts: 0.98 * M, runs: 3 },
      { thresholdCounts: M, minRuns: 5, convergence: 0.99 },
    ).measures;
    assert.deepEqual(measures, [
      { kind: 'data', text: '0.9M of 1.0M counts', missing: '0.020M counts more', met: false },
      { kind: 'runs', text: '3 of 5 runs', missing: '2 more runs', met: false },
      { kind: 'convergence', text: 'overlap not measured yet (target 0.990)', missing: 'a second merge', met: false },
    ]);
    const near = decideReadiness({ ...metrics, convergence: 0.98999 }, { ...policy, convergence: 0.99 }).measures[2]!;
    assert.equal(near.text, 'overlap 0.989 of 0.990', 'short of the target never reads as reached');
  });
});
