import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planTick, type TickInput } from '../../src/lifecycle/plan-tick.js';
import type { CollectedMetrics } from '../../src/lifecycle/decide-readiness.js';
import { newLifecycleRecord, type LifecycleRecord } from '../../src/model/lifecycle-record.js';
import type { PackageConfig, Policy } from '../../src/config/config-types.js';
import { DEFAULT_POLICY, DEFAULT_TRUSTED_USERS } from '../../src/config/defaults.js';

const now = new Date('2026-11-26T12:00:00Z');
const policy: Policy = DEFAULT_POLICY;
const pkg = (name: string, overrides: Partial<Policy> = {}): PackageConfig => ({
  name,
  nixFile: '/x/default.nix',
  attr: name,
  profileArg: 'pgoProfiles',
  policy: { ...policy, ...overrides },
  trustedUsers: DEFAULT_TRUSTED_USERS,
  bolt: null,
});
const slot = (name: string, fields: Partial<LifecycleRecord>): LifecycleRecord => ({
  ...newLifecycleRecord(name, now),
  profilingPath: '/nix/store/p',
  ...fields,
});
const MB = 1024 * 1024;
const metrics = (fields: Partial<CollectedMetrics>): CollectedMetrics => ({
  mergedBytes: 100,
  bytesHarvested: 2 * MB,
  counts: 2e9,
  runs: 5,
  convergence: null,
  generation: 1,
  mergedPath: '/state/profiles/a.profdata',
  ...fields,
});

function plan(partial: Partial<TickInput> & Pick<TickInput, 'packages'>) {
  return planTick({ records: new Map(), metrics: new Map(), now, phase: 'running', ...partial });
}

describe('planTick', () => {
  it('builds the profiling variant of a new package first', () => {
    assert.deepEqual(plan({ packages: [pkg('a')] }), [{ type: 'build-profiling', name: 'a', stage: 'pgo' }]);
  });

  it('waits for the backoff after a failed profiling build', () => {
    const s = slot('a', { state: 'vanilla', profilingPath: null, nextRetryAt: '2026-11-26T12:05:00Z' });
    assert.deepEqual(plan({ packages: [pkg('a')], records: new Map([['a', s]]) }), []);
    const later = planTick({
      packages: [pkg('a')],
      records: new Map([['a', s]]),
      metrics: new Map(),
      now: new Date('2026-11-26T12:06:00Z'),
      phase: 'running',
    });
    assert.deepEqual(later, [{ type: 'build-profiling', name: 'a', stage: 'pgo' }]);
  });

  it('reports new data, then builds once the policy is met', () => {
    const s = slot('a', { state: 'collecting', seenGeneration: 0 });
    const actions = plan({
      packages: [pkg('a')],
      records: new Map([['a', s]]),
      metrics: new Map([['a', metrics({})]]),
    });
    assert.deepEqual(
      actions.map((a) => a.type),
      ['data-arrived', 'build-optimized'],
    );
    assert.equal(actions[1]!.type === 'build-optimized' && actions[1]!.mergedPath, '/state/profiles/a.profdata');
  });

  it('does not build below the threshold', () => {
    const s = slot('a', { state: 'collecting' });
    const actions = plan({
      packages: [pkg('a')],
      records: new Map([['a', s]]),
      metrics: new Map([['a', metrics({ counts: 5e8 })]]),
    });
    assert.deepEqual(
      actions.map((a) => a.type),
      ['data-arrived'],
    );
    assert.equal(actions[0]!.type === 'data-arrived' && actions[0]!.readiness.ready, false);
  });

  it('does not report the same merge twice', () => {
    const s = slot('a', { state: 'collecting', seenGeneration: 1 });
    const actions = plan({
      packages: [pkg('a', { thresholdCounts: 1e10 })],
      records: new Map([['a', s]]),
      metrics: new Map([['a', metrics({ generation: 1 })]]),
    });
    assert.deepEqual(actions, []);
  });

  it('notifies instead of building when the policy says notify, once', () => {
    const p = pkg('a', { onReady: 'notify' });
    const collecting = slot('a', { state: 'collecting' });
    assert.deepEqual(
      plan({ packages: [p], records: new Map([['a', collecting]]), metrics: new Map([['a', metrics({})]]) }).map(
        (a) => a.type,
      ),
      ['data-arrived', 'notify-ready'],
    );
    const ready = slot('a', { state: 'ready', seenGeneration: 1 });
    assert.deepEqual(
      plan({ packages: [p], records: new Map([['a', ready]]), metrics: new Map([['a', metrics({})]]) }),
      [],
    );
  });

  it('tells under notify when the policy is met during the backoff of a failed build, and only once', () => {
    // A requested build failed before the policy was met; the data that meets it arrives during the backoff.
    const p = pkg('a', { onReady: 'notify' });
    const waiting = slot('a', {
      state: 'collecting',
      seenGeneration: 1,
      failures: 1,
      nextRetryAt: '2026-11-26T12:30:00Z',
    });
    assert.deepEqual(
      plan({
        packages: [p],
        records: new Map([['a', waiting]]),
        metrics: new Map([['a', metrics({ generation: 2 })]]),
      }).map((a) => a.type),
      ['data-arrived', 'notify-ready'],
    );
    const told = { ...waiting, state: 'ready' as const, seenGeneration: 2 };
    assert.deepEqual(
      plan({ packages: [p], records: new Map([['a', told]]), metrics: new Map([['a', metrics({ generation: 2 })]]) }),
      [],
    );
  });

  it('builds on request whatever the policy says', () => {
    const s = slot('a', { state: 'collecting', seenGeneration: 1, buildRequested: true });
    const actions = plan({
      packages: [pkg('a', { thresholdCounts: 1e11 })],
      records: new Map([['a', s]]),
      metrics: new Map([['a', metrics({})]]),
    });
    assert.deepEqual(actions, [
      {
        type: 'build-optimized',
        name: 'a',
        stage: 'pgo',
        generation: 1,
        mergedPath: '/state/profiles/a.profdata',
        requested: true,
      },
    ]);
  });

  it('keeps an optimized package until asked, and a held one after a rollback', () => {
    const optimized = slot('a', { state: 'optimized', seenGeneration: 1, profileGeneration: 1 });
    assert.deepEqual(
      plan({
        packages: [pkg('a')],
        records: new Map([['a', optimized]]),
        metrics: new Map([['a', metrics({ generation: 2 })]]),
      }).map((a) => a.type),
      ['data-arrived'],
    );
    const held = slot('a', { state: 'collecting', seenGeneration: 2, profileGeneration: 1, held: true });
    assert.deepEqual(
      plan({
        packages: [pkg('a')],
        records: new Map([['a', held]]),
        metrics: new Map([['a', metrics({ generation: 2 })]]),
      }),
      [],
    );
  });

  it('retries a failed optimized build after its backoff', () => {
    const failed = slot('a', { state: 'ready', seenGeneration: 1, failures: 1, nextRetryAt: '2026-11-26T12:01:00Z' });
    const input = { packages: [pkg('a')], records: new Map([['a', failed]]), metrics: new Map([['a', metrics({})]]) };
    assert.deepEqual(plan(input), []);
    assert.deepEqual(
      planTick({ ...input, now: new Date('2026-11-26T12:02:00Z'), phase: 'running' }).map((a) => a.type),
      ['build-optimized'],
    );
  });

  it('recovers a build interrupted by a restart, and only then', () => {
    const building = slot('a', { state: 'building', beforeBuild: 'ready' });
    assert.deepEqual(plan({ packages: [pkg('a')], records: new Map([['a', building]]), phase: 'start' }), [
      { type: 'recover-build', name: 'a' },
    ]);
    assert.deepEqual(plan({ packages: [pkg('a')], records: new Map([['a', building]]) }), []);
  });

  describe('BOLT after PGO', () => {
    const boltPkg = (overrides: Partial<Policy> = {}): PackageConfig => ({
      ...pkg('a'),
      bolt: { profileArg: 'boltProfiles', policy: { ...policy, thresholdCounts: 1000, ...overrides } },
    });
    const boltMetrics = (fields: Partial<CollectedMetrics>) =>
      new Map([['a#bolt', metrics({ mergedPath: '/state/profiles/a#bolt/gen-1.fdata.d', ...fields })]]);

    it('once PGO-optimized, builds the BOLT-instrumented variant (after any backoff); without BOLT in the config it stays', () => {
      const optimized = slot('a', {
        state: 'optimized',
        seenGeneration: 1,
        profileGeneration: 1,
        optimizedPath: '/nix/store/o',
      });
      assert.deepEqual(plan({ packages: [boltPkg()], records: new Map([['a', optimized]]) }), [
        { type: 'build-profiling', name: 'a', stage: 'bolt' },
      ]);
      assert.deepEqual(plan({ packages: [pkg('a')], records: new Map([['a', optimized]]) }), []);
      const failed = { ...optimized, failures: 1, nextRetryAt: '2026-11-26T12:05:00Z' };
      assert.deepEqual(plan({ packages: [boltPkg()], records: new Map([['a', failed]]) }), []);
      assert.deepEqual(
        plan({ packages: [boltPkg()], records: new Map([['a', { ...failed, buildRequested: true }]]) }),
        [{ type: 'build-profiling', name: 'a', stage: 'bolt' }],
      );
      assert.deepEqual(
        plan({ packages: [boltPkg()], records: new Map([['a', { ...optimized, held: true }]]) }),
        [],
        'a user who switched to the PGO variant stays there',
      );
    });

    it('BOLT data is judged by the BOLT policy, then the BOLT-optimized variant is built', () => {
      const profiling = slot('a', {
        state: 'bolt-profiling',
        optimizedPath: '/nix/store/o',
        boltProfilingPath: '/nix/store/b',
      });
      const records = new Map([['a', profiling]]);
      assert.deepEqual(plan({ packages: [boltPkg()], records }), [], 'no BOLT data yet');
      const actions = plan({ packages: [boltPkg()], records, metrics: boltMetrics({ counts: 2048 }) });
      assert.deepEqual(
        actions.map((a) => [a.type, 'stage' in a ? a.stage : null]),
        [
          ['data-arrived', 'bolt'],
          ['build-optimized', 'bolt'],
        ],
      );
      const short = plan({
        packages: [boltPkg({ minRuns: 10 })],
        records,
        metrics: boltMetrics({ counts: 2048 }),
      });
      assert.deepEqual(
        short.map((a) => a.type),
        ['data-arrived'],
      );
      const notify = plan({
        packages: [boltPkg({ onReady: 'notify' })],
        records,
        metrics: boltMetrics({ counts: 2048 }),
      });
      assert.deepEqual(
        notify.map((a) => a.type),
        ['data-arrived', 'notify-ready'],
      );
    });

    it('a BOLT-optimized package stays; with BOLT turned off, a BOLT variant gives way to the PGO-optimized one', () => {
      const done = slot('a', {
        state: 'bolt-optimized',
        optimizedPath: '/nix/store/o',
        boltSeenGeneration: 1,
        boltProfileGeneration: 1,
      });
      assert.deepEqual(
        plan({ packages: [boltPkg()], records: new Map([['a', done]]), metrics: boltMetrics({ generation: 1 }) }),
        [],
      );
      assert.deepEqual(plan({ packages: [pkg('a')], records: new Map([['a', done]]) }), [
        { type: 'leave-bolt', name: 'a', record: done },
      ]);
    });
  });
});
