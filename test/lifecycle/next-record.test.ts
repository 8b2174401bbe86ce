/** What a lifecycle record becomes after each step the executor carries out (pure; no database, no Nix). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RetryPolicy } from '../../src/config/config-types.js';
import type { Readiness } from '../../src/lifecycle/decide-readiness.js';
import {
  afterActionFailed,
  afterBoltProfilingBuilt,
  afterBuildInterrupted,
  afterBuildRequested,
  afterBuildStarted,
  afterDataArrived,
  afterOptimizedBuilt,
  afterOptimizedFailed,
  afterProfilingBuildBegun,
  afterProfilingBuilt,
  afterProfilingFailed,
  afterReadyNotified,
  afterUserSwitch,
  recordBuild,
} from '../../src/lifecycle/next-record.js';
import { newLifecycleRecord, type BuildRecord, type LifecycleRecord } from '../../src/model/lifecycle-record.js';
import type { Variant } from '../../src/model/variants.js';

const t0 = new Date('2026-11-26T12:00:00Z');
const t1 = new Date('2026-11-26T12:10:00Z');
const retry: RetryPolicy = { initialDelaySeconds: 60, maxDelaySeconds: 3600 };
const record = (fields: Partial<LifecycleRecord> = {}): LifecycleRecord => ({
  ...newLifecycleRecord('calc', t0),
  ...fields,
});
const ready: Readiness = { ready: true, reason: '1.2 of 1.0 MB collected', progress: 1, blockers: [], measures: [] };
const notReady: Readiness = {
  ready: false,
  reason: '0.4 of 1.0 MB collected',
  progress: 0.4,
  blockers: [{ kind: 'threshold', message: '0.6 MB more' }],
  measures: [],
};
const build = (variant: Variant, ok: boolean): BuildRecord =>
  recordBuild(
    variant,
    t0,
    t1,
    ok
      ? { ok: true, storePath: `/nix/store/x-calc-${variant}`, logFile: '/log' }
      : { ok: false, error: 'building failed', logTail: 'cc: error', logFile: '/log' },
  );
const building = { variant: 'optimized' as const, startedAt: t0.toISOString(), logFile: '/log' };

describe('recordBuild', () => {
  it('keeps the store path of a build that worked, and no error', () => {
    assert.deepEqual(build('profile', true), {
      variant: 'profile',
      ok: true,
      startedAt: t0.toISOString(),
      endedAt: t1.toISOString(),
      storePath: '/nix/store/x-calc-profile',
      logFile: '/log',
      error: null,
      logTail: null,
    });
  });

  it('keeps the error and the end of the log of a build that failed, and no store path', () => {
    const failed = build('optimized', false);
    assert.equal(failed.ok, false);
    assert.equal(failed.storePath, null);
    assert.equal(failed.error, 'building failed');
    assert.equal(failed.logTail, 'cc: error');
  });
});

describe('the profiling variant', () => {
  it('shows its build while it runs, without leaving the state', () => {
    const next = afterProfilingBuildBegun(record(), { ...building, variant: 'profile' }, t1);
    assert.equal(next.state, 'vanilla');
    assert.deepEqual(next.activeBuild, { ...building, variant: 'profile' });
    assert.equal(next.updatedAt, t1.toISOString());
  });

  it('built and switched in, starts profiling: failures and requests are cleared', () => {
    const before = record({
      failures: 2,
      nextRetryAt: t1.toISOString(),
      buildRequested: true,
      activeBuild: { ...building, variant: 'profile' },
    });
    const next = afterProfilingBuilt(
      before,
      { storePath: '/nix/store/p', generation: 3, build: build('profile', true) },
      t1,
    );
    assert.equal(next.state, 'profiling');
    assert.equal(next.profilingPath, '/nix/store/p');
    assert.equal(next.activeVariant, 'profile');
    assert.equal(next.activePath, '/nix/store/p');
    assert.equal(next.generation, 3);
    assert.equal(next.failures, 0);
    assert.equal(next.nextRetryAt, null);
    assert.equal(next.buildRequested, false);
    assert.equal(next.activeBuild, null);
    assert.equal(next.lastBuild?.ok, true);
  });

  it('rebuilt while collecting, keeps collecting', () => {
    const next = afterProfilingBuilt(
      record({ state: 'collecting', profilingPath: '/nix/store/old', seenGeneration: 4 }),
      { storePath: '/nix/store/new', generation: 5, build: build('profile', true) },
      t1,
    );
    assert.equal(next.state, 'collecting');
    assert.equal(next.profilingPath, '/nix/store/new');
    assert.equal(next.seenGeneration, 4);
  });

  it('the BOLT-instrumented one, built on the optimized variant, starts BOLT profiling', () => {
    const next = afterBoltProfilingBuilt(
      record({ state: 'optimized', optimizedPath: '/nix/store/o', activeVariant: 'optimized' }),
      { storePath: '/nix/store/b', generation: 7, build: build('bolt-profile', true) },
      t1,
    );
    assert.equal(next.state, 'bolt-profiling');
    assert.equal(next.boltProfilingPath, '/nix/store/b');
    assert.equal(next.activeVariant, 'bolt-profile');
    assert.equal(next.optimizedPath, '/nix/store/o');
    assert.match(next.reason, /^BOLT profiling/);
  });

  it('failed, counts the failure and waits a backoff that doubles', () => {
    const once = afterProfilingFailed(
      record({ activeBuild: { ...building, variant: 'profile' } }),
      { build: build('profile', false), error: 'building failed' },
      retry,
      t1,
    );
    assert.equal(once.state, 'vanilla');
    assert.equal(once.failures, 1);
    assert.equal(once.nextRetryAt, new Date(t1.getTime() + 60_000).toISOString());
    assert.equal(once.activeBuild, null);
    assert.match(once.reason, /building failed \(1× in a row\).*nix-pgo build calc/);
    const twice = afterProfilingFailed(once, { build: build('profile', false), error: 'building failed' }, retry, t1);
    assert.equal(twice.failures, 2);
    assert.equal(twice.nextRetryAt, new Date(t1.getTime() + 120_000).toISOString());
  });
});

describe('data arriving', () => {
  it('moves a profiling package to collecting and remembers the merge it saw', () => {
    const next = afterDataArrived(record({ state: 'profiling' }), 'pgo', 2, notReady, t1);
    assert.equal(next.state, 'collecting');
    assert.equal(next.seenGeneration, 2);
    assert.equal(next.reason, notReady.reason);
  });

  it('makes a collecting package ready once the policy is met', () => {
    assert.equal(afterDataArrived(record({ state: 'collecting' }), 'pgo', 3, ready, t1).state, 'ready');
  });

  it('leaves an optimized package optimized: new data alone does not rebuild', () => {
    const next = afterDataArrived(record({ state: 'optimized' }), 'pgo', 9, ready, t1);
    assert.equal(next.state, 'optimized');
    assert.equal(next.seenGeneration, 9);
  });

  it('of BOLT, counts in its own generation and moves BOLT profiling to BOLT ready', () => {
    const next = afterDataArrived(record({ state: 'bolt-profiling', seenGeneration: 5 }), 'bolt', 2, ready, t1);
    assert.equal(next.state, 'bolt-ready');
    assert.equal(next.boltSeenGeneration, 2);
    assert.equal(next.seenGeneration, 5);
    assert.equal(next.reason, `BOLT data: ${ready.reason}`);
  });

  it('is refused in a state that waits for no data', () => {
    assert.throws(() => afterDataArrived(record({ state: 'vanilla' }), 'pgo', 1, ready, t1), /state vanilla/);
  });
});

describe('the optimized variant', () => {
  it('tells the user how to build when the policy says notify', () => {
    const next = afterReadyNotified(record({ state: 'ready' }), 'bolt', ready, t1);
    assert.equal(next.reason, `BOLT data: ${ready.reason}; run \`nix-pgo build calc\` to build and switch`);
  });

  it('starts building from ready, remembering where a failure goes back to', () => {
    const next = afterBuildStarted(record({ state: 'ready', held: true, buildRequested: true }), 4, building, t1);
    assert.equal(next.state, 'building');
    assert.equal(next.beforeBuild, 'ready');
    assert.equal(next.held, false);
    assert.equal(next.buildRequested, false);
    assert.deepEqual(next.activeBuild, building);
    assert.equal(next.reason, 'building the optimized variant with merge 4');
  });

  it('built, becomes active with the profile it was built from', () => {
    const started = afterBuildStarted(record({ state: 'collecting', failures: 1 }), 4, building, t0);
    const next = afterOptimizedBuilt(
      started,
      {
        storePath: '/nix/store/o',
        generation: 8,
        mergeGeneration: 4,
        profileStorePath: '/nix/store/prof',
        build: build('optimized', true),
      },
      t1,
    );
    assert.equal(next.state, 'optimized');
    assert.equal(next.beforeBuild, null);
    assert.equal(next.optimizedPath, '/nix/store/o');
    assert.equal(next.activeVariant, 'optimized');
    assert.equal(next.profileGeneration, 4);
    assert.equal(next.profileStorePath, '/nix/store/prof');
    assert.equal(next.failures, 0);
    assert.equal(next.activeBuild, null);
  });

  it('built from BOLT data, becomes the BOLT-optimized variant and keeps the PGO profile', () => {
    const started = afterBuildStarted(
      record({ state: 'bolt-ready', profileGeneration: 4, profileStorePath: '/nix/store/prof' }),
      2,
      { ...building, variant: 'bolt-optimized' },
      t0,
    );
    assert.equal(started.reason, 'building the BOLT-optimized variant with BOLT merge 2');
    const next = afterOptimizedBuilt(
      started,
      {
        storePath: '/nix/store/bo',
        generation: 9,
        mergeGeneration: 2,
        profileStorePath: '/nix/store/bprof',
        build: build('bolt-optimized', true),
      },
      t1,
    );
    assert.equal(next.state, 'bolt-optimized');
    assert.equal(next.boltOptimizedPath, '/nix/store/bo');
    assert.equal(next.boltProfileGeneration, 2);
    assert.equal(next.boltProfileStorePath, '/nix/store/bprof');
    assert.equal(next.profileGeneration, 4);
    assert.equal(next.profileStorePath, '/nix/store/prof');
  });

  it('failed, goes back to where it was, the variant there still active', () => {
    const started = afterBuildStarted(record({ state: 'ready', activeVariant: 'profile' }), 4, building, t0);
    const next = afterOptimizedFailed(started, build('optimized', false), retry, t1);
    assert.equal(next.state, 'ready');
    assert.equal(next.activeVariant, 'profile');
    assert.equal(next.failures, 1);
    assert.equal(next.lastBuild?.error, 'building failed');
    assert.match(next.reason, /the active variant stays/);
  });
});

describe('a build that never ended', () => {
  it('interrupted while building the optimized variant, goes back to what was active', () => {
    const started = afterBuildStarted(record({ state: 'collecting' }), 4, building, t0);
    const next = afterBuildInterrupted(started, t1);
    assert.equal(next.state, 'collecting');
    assert.equal(next.activeBuild, null);
    assert.match(next.reason, /interrupted/);
  });

  it('interrupted while building a profiling variant, only forgets the build', () => {
    const next = afterBuildInterrupted(
      record({ state: 'vanilla', activeBuild: { ...building, variant: 'profile' } }),
      t1,
    );
    assert.equal(next.state, 'vanilla');
    assert.equal(next.activeBuild, null);
  });

  it('after an action threw: nothing to change when no build was under way', () => {
    assert.equal(afterActionFailed(record({ state: 'collecting' }), 'store gone', retry, t1), null);
  });

  it('after an action threw during a profiling build: the failure counts', () => {
    const next = afterActionFailed(
      record({ activeBuild: { ...building, variant: 'profile' }, buildRequested: true }),
      'nix-env failed',
      retry,
      t1,
    );
    assert.equal(next?.failures, 1);
    assert.equal(next?.activeBuild, null);
    assert.equal(next?.buildRequested, false);
    assert.match(next?.reason ?? '', /the profile build could not run: nix-env failed/);
  });

  it('after an action threw while building: back out of building', () => {
    const started = afterBuildStarted(record({ state: 'ready' }), 4, building, t0);
    const next = afterActionFailed(started, 'no space left', retry, t1);
    assert.equal(next?.state, 'ready');
    assert.equal(next?.failures, 1);
    assert.equal(next?.reason, 'the optimized build could not run: no space left');
  });
});

describe("the user's requests", () => {
  it('a build request overrides the hold and the backoff', () => {
    const next = afterBuildRequested(record({ held: true, nextRetryAt: t1.toISOString() }), t1);
    assert.equal(next.buildRequested, true);
    assert.equal(next.held, false);
    assert.equal(next.nextRetryAt, null);
  });

  const switched = (variant: Variant | null, fields: Partial<LifecycleRecord> = {}) =>
    afterUserSwitch(
      record({ state: 'optimized', activeVariant: 'optimized', ...fields }),
      { variant, storePath: variant && `/nix/store/${variant}`, generation: 6, held: true, reason: 'by the user' },
      t1,
    );

  it('a switch to the profiling variant goes back to collecting, or to profiling before any data', () => {
    assert.equal(switched('profile', { seenGeneration: 3 }).state, 'collecting');
    assert.equal(switched('profile', { seenGeneration: 0 }).state, 'profiling');
  });

  it('a switch to a BOLT variant, or to none, takes the state of that variant', () => {
    assert.equal(switched('bolt-profile').state, 'bolt-profiling');
    assert.equal(switched('bolt-optimized').state, 'bolt-optimized');
    const none = switched(null);
    assert.equal(none.state, 'vanilla');
    assert.equal(none.activePath, null);
  });

  it('records what became active and holds it there', () => {
    const next = switched('profile', { seenGeneration: 3 });
    assert.equal(next.activeVariant, 'profile');
    assert.equal(next.activePath, '/nix/store/profile');
    assert.equal(next.generation, 6);
    assert.equal(next.held, true);
    assert.equal(next.reason, 'by the user');
  });

  it('is refused while building', () => {
    assert.throws(() => switched('profile', { state: 'building', beforeBuild: 'ready' }), /wait until the build ends/);
  });
});
