import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextRetryAt, computeRetryDelaySeconds, recordFailure } from '../../src/lifecycle/retry-backoff.js';
import { DEFAULT_POLICY } from '../../src/config/defaults.js';

// The defaults: 60 s, doubling up to an hour.
const retry = DEFAULT_POLICY.retry;

describe('retry backoff', () => {
  it('waits nothing before the first failure', () => {
    assert.equal(computeRetryDelaySeconds(0, retry), 0);
  });

  it('doubles from the initial delay per failure', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => computeRetryDelaySeconds(n, retry)),
      [60, 120, 240, 480, 960, 1920],
    );
  });

  it('stops at the maximum, also for absurd failure counts', () => {
    assert.equal(computeRetryDelaySeconds(7, retry), 3600);
    assert.equal(computeRetryDelaySeconds(10_000, retry), 3600);
  });

  it('honours a maximum equal to the initial delay', () => {
    assert.equal(computeRetryDelaySeconds(5, { initialDelaySeconds: 30, maxDelaySeconds: 30 }), 30);
  });

  it('rejects failure counts that are negative or not whole', () => {
    assert.throws(() => computeRetryDelaySeconds(-1, retry), RangeError);
    assert.throws(() => computeRetryDelaySeconds(1.5, retry), RangeError);
  });

  it('adds the delay to now', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    assert.equal(nextRetryAt(2, retry, now).toISOString(), '2026-01-01T00:02:00.000Z');
    assert.equal(nextRetryAt(0, retry, now).getTime(), now.getTime());
  });

  it('records one more failure and its next try', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    assert.deepEqual(recordFailure(1, retry, now), { failures: 2, nextRetryAt: '2026-01-01T00:02:00.000Z' });
  });
});
