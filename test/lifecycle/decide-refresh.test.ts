/** When a refresh window ends: its counts, its runs, or its hours; with no data at all, it gives up. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideRefresh, describeRefreshWindow } from '../../src/lifecycle/decide-refresh.js';
import { DEFAULT_POLICY } from '../../src/config/defaults.js';

const M = 1e6;
const policy = { ...DEFAULT_POLICY.upgrades, refreshCounts: 2 * M, refreshRuns: 4, refreshHours: 2 };
const start = '2026-11-26T12:00:00Z';
const at = (hours: number) => new Date(Date.parse(start) + hours * 3_600_000);
const data = (counts: number, runs = 1) => ({
  mergedBytes: counts > 0 ? 100 : 0,
  bytesHarvested: 100,
  counts,
  runs,
  convergence: null,
});

describe('decideRefresh', () => {
  it('goes on while the window has neither its counts nor its runs', () => {
    const d = decideRefresh(data(M), policy, start, at(1));
    assert.equal(d.ready, false);
    assert.equal(d.giveUp, false);
    assert.equal(d.progress, 0.5);
    assert.match(d.reason, /^refreshing: 1\.0M of 2\.0M counts of fresh data \(the window ends at/);
  });

  it('ends at its counts, or at its runs, whichever comes first', () => {
    assert.equal(decideRefresh(data(2 * M), policy, start, at(1)).ready, true);
    const runs = decideRefresh(data(M / 100, 4), policy, start, at(1));
    assert.equal(runs.ready, true);
    assert.match(runs.reason, /^refresh window done: 4 runs of fresh data/);
  });

  it('ends after its hours with what it has, and gives up with nothing', () => {
    const some = decideRefresh(data(M / 100), policy, start, at(2));
    assert.equal(some.ready, true);
    assert.match(some.reason, /the window of 2 h is over/);
    const none = decideRefresh(data(0, 0), policy, start, at(2));
    assert.deepEqual([none.ready, none.giveUp], [false, true]);
  });

  it('says its bounds in words', () => {
    assert.equal(describeRefreshWindow(policy), '2.0M counts of fresh data, 4 runs or 2 h, whichever comes first');
    assert.equal(
      describeRefreshWindow({ ...policy, refreshRuns: 0 }),
      '2.0M counts of fresh data or 2 h, whichever comes first',
    );
  });
});
