/** What a record becomes after a check of its derivation, a measured match, a refresh window and a reset (pure). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  afterChecked,
  afterMatchMeasured,
  afterRefreshEnded,
  afterRefreshStarted,
  afterReset,
  formatShare,
} from '../../src/lifecycle/upgrade-records.js';
import { afterBuildStarted, afterOptimizedBuilt, recordBuild } from '../../src/lifecycle/next-record.js';
import { newLifecycleRecord, type LifecycleRecord, type MatchRecord } from '../../src/model/lifecycle-record.js';

const t0 = new Date('2026-11-26T12:00:00Z');
const t1 = new Date('2026-11-26T12:10:00Z');
const v10 = { drvPath: '/nix/store/a-minivm-1.0.drv', name: 'minivm', version: '1.0' };
const v11 = { drvPath: '/nix/store/b-minivm-1.1.drv', name: 'minivm', version: '1.1' };
const optimized = (fields: Partial<LifecycleRecord> = {}): LifecycleRecord => ({
  ...newLifecycleRecord('minivm', t0),
  state: 'optimized',
  activeVariant: 'optimized',
  activePath: '/nix/store/o10',
  optimizedPath: '/nix/store/o10',
  profilingPath: '/nix/store/p10',
  profileStorePath: '/nix/store/prof',
  profileGeneration: 3,
  origins: { optimized: v10, profile: v10 },
  ...fields,
});
const match = (share: number): MatchRecord => ({
  optimizedPath: '/nix/store/o11',
  profileStorePath: '/nix/store/prof',
  measuredAt: t1.toISOString(),
  result: { functions: 3, matched: 2, changed: 1, gone: 0, share, lost: [{ name: 'minivm.c:step', share: 1 - share }] },
  unmeasured: null,
});

describe('afterChecked', () => {
  it('the same derivation: only when it was checked, and the origins it confirmed where none were recorded', () => {
    const next = afterChecked(
      optimized({ origins: undefined, checkRequested: true }),
      { kind: 'same', origins: { optimized: v10 } },
      t1,
    );
    assert.equal(next.state, 'optimized');
    assert.equal(next.checkedAt, t1.toISOString());
    assert.equal(next.checkRequested, false);
    assert.deepEqual(next.origins, { optimized: v10 });
    assert.deepEqual(next.history ?? [], []);
  });

  it('a new derivation under an optimized variant: stale, what the carry-over builds, and a history entry', () => {
    const next = afterChecked(optimized(), { kind: 'changed', to: v11 }, t1);
    assert.equal(next.state, 'optimized-stale');
    assert.deepEqual(next.upgrade, { from: v10, to: v11, variant: 'optimized', noticedAt: t1.toISOString() });
    assert.match(next.reason, /the derivation changed \(minivm-1\.0 → minivm-1\.1\)/);
    assert.deepEqual(
      next.history?.map((h) => [h.event, h.version]),
      [['upgraded', '1.1']],
    );
    // Seen again at the next check: nothing new.
    const again = afterChecked(next, { kind: 'changed', to: v11 }, t1);
    assert.equal(again.history?.length, 1);
    // Under a BOLT-optimized variant, the carry-over builds the BOLT-optimized variant.
    const bolt = afterChecked(
      optimized({ state: 'bolt-optimized', activeVariant: 'bolt-optimized' }),
      { kind: 'changed', to: v11 },
      t1,
    );
    assert.equal(bolt.upgrade?.variant, 'bolt-optimized');
  });

  it('a new derivation before any optimized build: the cycle starts over', () => {
    const collecting = optimized({
      state: 'collecting',
      activeVariant: 'profile',
      profileStorePath: null,
      optimizedPath: null,
    });
    const next = afterChecked(collecting, { kind: 'changed', to: v11 }, t1);
    assert.equal(next.state, 'vanilla');
    assert.equal(next.profilingPath, null);
    assert.match(next.reason, /before an optimized build: starting over/);
    assert.deepEqual(
      next.history?.map((h) => h.event),
      ['upgraded', 'reset'],
    );
  });

  it('held by the user: recorded, not acted on', () => {
    const next = afterChecked(
      optimized({ held: true, state: 'collecting', activeVariant: 'profile' }),
      { kind: 'changed', to: v11 },
      t1,
    );
    assert.equal(next.state, 'collecting');
    assert.equal(next.upgrade?.to, v11);
    assert.match(next.reason, /which nix-pgo builds once `nix-pgo switch minivm` or `build` ends the hold/);
  });

  it('held, then let go: the upgrade noticed while held is carried over at the next check', () => {
    const held = afterChecked(optimized({ held: true }), { kind: 'changed', to: v11 }, t0);
    assert.equal(held.state, 'optimized');
    const next = afterChecked({ ...held, held: false }, { kind: 'changed', to: v11 }, t1);
    assert.equal(next.state, 'optimized-stale');
    assert.deepEqual(
      next.history?.map((h) => h.event),
      ['upgraded'],
    );
  });

  it('an evaluation that fails: the error, and nothing else changes', () => {
    const next = afterChecked(optimized(), { kind: 'failed', error: "attribute 'minivm' missing" }, t1);
    assert.equal(next.state, 'optimized');
    assert.equal(next.checkError, "attribute 'minivm' missing");
  });
});

describe('after the carry-over', () => {
  it('is optimized with the new derivation and the profile it had, and asks for the match to be measured', () => {
    const stale = afterChecked(optimized(), { kind: 'changed', to: v11 }, t0);
    const building = afterBuildStarted(
      stale,
      3,
      { variant: 'optimized', startedAt: t0.toISOString(), logFile: '/l' },
      t0,
    );
    assert.match(
      building.reason,
      /building the optimized variant of minivm-1\.1 with the profile it had \(carry-over\)/,
    );
    const built = afterOptimizedBuilt(
      building,
      {
        storePath: '/nix/store/o11',
        generation: 7,
        mergeGeneration: 3,
        profileStorePath: '/nix/store/prof',
        build: recordBuild('optimized', t0, t1, { ok: true, storePath: '/nix/store/o11', logFile: '/l' }),
        origin: v11,
      },
      t1,
    );
    assert.equal(built.state, 'optimized');
    assert.equal(built.upgrade, null);
    assert.equal(built.measureRequested, true);
    assert.deepEqual(built.origins?.optimized, v11);
    assert.equal(built.profileStorePath, '/nix/store/prof');
    assert.deepEqual(
      built.history?.map((h) => h.event),
      ['upgraded', 'carried-over'],
    );
  });

  it('records the match and makes the instrumented twin the profiling variant', () => {
    const next = afterMatchMeasured(
      optimized({ optimizedPath: '/nix/store/o11', measureRequested: true }),
      match(0.31),
      { storePath: '/nix/store/p11', origin: v11 },
      t1,
    );
    assert.equal(next.measureRequested, false);
    assert.equal(next.profilingPath, '/nix/store/p11');
    assert.deepEqual(next.origins?.profile, v11);
    assert.match(next.reason, /the profile applies to 31\.0 % of its counts \(2 of 3 functions\)$/);
    assert.equal(next.history?.at(-1)?.share, 0.31);
  });
});

describe('the refresh window', () => {
  it('starts with the twin active and the profile carried; ends back on the optimized build without data', () => {
    const measured = optimized({
      optimizedPath: '/nix/store/o11',
      activePath: '/nix/store/o11',
      match: match(0.31),
      profilingPath: '/nix/store/p11',
    });
    const started = afterRefreshStarted(
      measured,
      {
        generation: 8,
        carried: { storePath: '/nix/store/prof', generation: 3 },
        windowWords: '0.1 MB of fresh data or 24 h, whichever comes first',
      },
      t1,
    );
    assert.equal(started.state, 'refreshing');
    assert.equal(started.activeVariant, 'profile');
    assert.equal(started.activePath, '/nix/store/p11');
    assert.equal(started.refreshedFor, '/nix/store/o11');
    assert.deepEqual(started.refresh, {
      carried: { storePath: '/nix/store/prof', generation: 3 },
      optimizedPath: '/nix/store/o11',
      startedAt: t1.toISOString(),
    });
    assert.match(
      started.reason,
      /^refreshing: the profile applies to 31\.0 % .* active until 0\.1 MB of fresh data or 24 h/,
    );
    const ended = afterRefreshEnded(started, 9, t1);
    assert.equal(ended.state, 'optimized');
    assert.equal(ended.activePath, '/nix/store/o11');
    assert.equal(ended.refresh, null);
    // Not refreshed a second time for the same build.
    assert.equal(ended.refreshedFor, '/nix/store/o11');
  });
});

describe('afterReset', () => {
  it('starts over: no profiling variant, nothing pending, held no more', () => {
    const next = afterReset(optimized({ held: true, match: match(0.2), resetRequested: true }), 'started over', t1);
    assert.equal(next.state, 'vanilla');
    assert.equal(next.profilingPath, null);
    assert.equal(next.held, false);
    assert.equal(next.resetRequested, false);
    assert.equal(next.match, null);
    // The optimized variant stays recorded and active until the profiling build replaces it.
    assert.equal(next.activePath, '/nix/store/o10');
  });
});

describe('formatShare', () => {
  it('never shows a share below one as 100 %', () => {
    assert.equal(formatShare(1), '100 %');
    assert.equal(formatShare(0.99996), '99.9 %');
    assert.equal(formatShare(0.3098), '30.9 %');
  });
});
