/** A machine's pure decisions about the fleet lock: which lock it takes, what each package needs, what it publishes. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FollowedPackage } from '../../src/fleet/fleet-state.js';
import { decideFollow, judgeFleetLock } from '../../src/fleet/follow-fleet.js';
import { changedSincePublished } from '../../src/fleet/publish-profiles.js';
import { type LifecycleRecord, newLifecycleRecord } from '../../src/model/lifecycle-record.js';

const NOW = new Date('2026-12-07T05:00:00.000Z');

describe('judgeFleetLock', () => {
  const followed = { storePath: '/nix/store/l2', generation: 2, publishedAt: NOW.toISOString(), aggregator: 'agg' };

  it('takes the first lock and any newer one, and says nothing of the one it follows', () => {
    assert.deepEqual(judgeFleetLock(null, { storePath: '/nix/store/l1', generation: 1 }), { take: true, why: null });
    assert.deepEqual(judgeFleetLock(followed, { storePath: '/nix/store/l3', generation: 3 }), {
      take: true,
      why: null,
    });
    assert.deepEqual(judgeFleetLock(followed, { storePath: '/nix/store/l2', generation: 2 }), {
      take: false,
      why: null,
    });
  });

  it('refuses an older lock put back, and another lock claiming the generation it follows', () => {
    const older = judgeFleetLock(followed, { storePath: '/nix/store/l1', generation: 1 });
    assert.equal(older.take, false);
    assert.match(older.why!, /generation 1 is older than generation 2.*an old lock put back is never followed/);
    const twin = judgeFleetLock(followed, { storePath: '/nix/store/x', generation: 2 });
    assert.equal(twin.take, false);
    assert.match(twin.why!, /claims generation 2, which this machine follows as another lock \(\/nix\/store\/l2\)/);
  });
});

describe('decideFollow', () => {
  const profiling = (fields: Partial<LifecycleRecord> = {}): LifecycleRecord => ({
    ...newLifecycleRecord('calc', NOW),
    state: 'profiling',
    profilingPath: '/nix/store/p-calc',
    activeVariant: 'profile',
    activePath: '/nix/store/p-calc',
    ...fields,
  });
  const followed = (fields: Partial<FollowedPackage> = {}): FollowedPackage => ({
    at: NOW.toISOString(),
    outcome: 'cache',
    message: '',
    drvPath: '/nix/store/o.drv',
    fleetDrvPath: '/nix/store/o.drv',
    storePath: '/nix/store/o-calc',
    generation: 1,
    ...fields,
  });

  it('leaves a package alone before its profiling build and while a build runs', () => {
    assert.equal(decideFollow(null, false, undefined, 1, NOW), 'skip');
    assert.equal(decideFollow(newLifecycleRecord('calc', NOW), false, undefined, 1, NOW), 'skip');
    assert.equal(decideFollow(profiling({ state: 'building' }), false, undefined, 1, NOW), 'skip');
  });

  it("respects the user's hold before profiling duty, and duty before the fleet's build", () => {
    assert.equal(decideFollow(profiling({ held: true }), true, undefined, 1, NOW), 'held');
    assert.equal(decideFollow(profiling(), true, undefined, 1, NOW), 'duty');
    assert.equal(decideFollow(profiling(), false, undefined, 1, NOW), 'follow');
  });

  it('follows again for a new lock or when the active build is not the one followed, after any backoff', () => {
    const active = profiling({ activeVariant: 'optimized', activePath: '/nix/store/o-calc' });
    assert.equal(decideFollow(active, false, followed(), 1, NOW), 'skip');
    assert.equal(decideFollow(active, false, followed(), 2, NOW), 'follow');
    assert.equal(decideFollow(profiling(), false, followed(), 1, NOW), 'follow', 'the user switched away');
    assert.equal(decideFollow(active, false, followed({ outcome: 'failed' }), 1, NOW), 'follow');
    const later = new Date(NOW.getTime() + 60_000).toISOString();
    assert.equal(
      decideFollow(profiling({ nextRetryAt: later }), false, followed({ outcome: 'failed' }), 1, NOW),
      'skip',
    );
  });
});

describe('changedSincePublished', () => {
  it('names the packages merged again since the last record, all of them before any', () => {
    const current = new Map([
      ['calc', 3],
      ['zlib', 1],
    ]);
    assert.deepEqual(changedSincePublished(current, null), ['calc', 'zlib']);
    const published = {
      at: NOW.toISOString(),
      record: '/nix/store/r',
      packages: {
        calc: { generation: 2, profile: {} as never, runs: 2, counts: 1 },
        zlib: { generation: 1, profile: {} as never, runs: 1, counts: 1 },
      },
    };
    assert.deepEqual(changedSincePublished(current, published), ['calc']);
    assert.deepEqual(changedSincePublished(new Map([['zlib', 1]]), published), []);
  });
});
