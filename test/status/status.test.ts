import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { collectStatus, describeQuarantine, describeSpool } from '../../src/status/collect-status.js';
import { renderProgressBar, renderStatus } from '../../src/status/render-status.js';
import { newLifecycleRecord } from '../../src/model/lifecycle-record.js';
import { DEFAULT_COLLECTOR, DEFAULT_POLICY, DEFAULT_TRUSTED_USERS } from '../../src/config/defaults.js';
import type { Config } from '../../src/config/config-types.js';
import { judgeDaemon } from '../../src/status/daemon-state.js';

const now = new Date('2026-11-26T12:00:00Z');
const config: Config = {
  file: '/c/config.json',
  stateDir: '/state',
  spoolDir: '/state/spool',
  nixProfile: '/state/profile',
  policy: DEFAULT_POLICY,
  notify: { hook: null, desktop: false },
  collector: DEFAULT_COLLECTOR,
  packages: [
    {
      name: 'calc',
      nixFile: '/p/default.nix',
      attr: 'calc',
      profileArg: 'pgoProfiles',
      policy: { ...DEFAULT_POLICY, thresholdCounts: 2_000_000 },
      trustedUsers: DEFAULT_TRUSTED_USERS,
      bolt: null,
    },
    {
      name: 'lua',
      nixFile: '/p/default.nix',
      attr: 'lua',
      profileArg: 'pgoProfiles',
      policy: DEFAULT_POLICY,
      trustedUsers: DEFAULT_TRUSTED_USERS,
      bolt: null,
    },
  ],
};

const heartbeat = {
  pid: 4242,
  startedAt: '2026-11-26T10:00:00Z',
  lastPassAt: '2026-11-26T11:59:41Z',
  stoppedAt: null,
};

describe('status', () => {
  it('reports progress toward each package threshold and what is active', () => {
    const calc = {
      ...newLifecycleRecord('calc', now),
      state: 'collecting' as const,
      reason: '1.0M of 2.0M counts collected',
      activeVariant: 'profile' as const,
      activePath: '/nix/store/x-calc',
      generation: 3,
    };
    const status = collectStatus({
      config,
      records: [calc],
      metrics: new Map([
        [
          'calc',
          {
            mergedBytes: 10,
            bytesHarvested: 1024,
            counts: 1_000_000,
            runs: 4,
            convergence: 0.5,
            generation: 2,
            mergedPath: '/m',
          },
        ],
      ]),
      profileGeneration: 3,
    });
    assert.equal(status.packages[0]!.progress, 0.5);
    assert.equal(status.packages[0]!.state, 'collecting');
    assert.equal(status.packages[1]!.state, 'vanilla');
    assert.match(status.packages[1]!.reason, /not built yet/);
    const text = renderStatus(status);
    assert.match(text, /calc: collecting/);
    assert.match(
      text,
      /\[##########\.{10}\] 50% 1\.0M of 2\.0M counts \(1\.0M counts more\), 4 runs, overlap 0\.500, merge 2/,
    );
    assert.match(text, /active: {3}profile \(profile generation 3\) {2}\/nix\/store\/x-calc/);
    assert.match(text, /lua: vanilla/);
  });

  it('shows who contributed how much, and each share after the cap', () => {
    const contribution = (contributor: number, mass: number, bytesHarvested: number, runs: number) => ({
      package: 'calc',
      contributor,
      generation: 1,
      path: '/p',
      sha256: 'h',
      bytes: 1,
      mass,
      bytesHarvested,
      filesHarvested: 1,
      runs,
      updatedAt: 'now',
    });
    const status = collectStatus({
      config,
      records: [],
      metrics: new Map(),
      profileGeneration: null,
      contributions: new Map([
        ['calc', [contribution(1000, 100, 2 * 1024 * 1024, 50), contribution(1001, 1e15, 1024, 1)]],
      ]),
      userNames: new Map([[1000, 'alice']]),
    });
    assert.deepEqual(
      status.packages[0]!.contributors.map((c) => [c.user, c.runs, Math.round(c.share * 100)]),
      [
        ['alice', 50, 50],
        [null, 1, 50],
      ],
    );
    assert.match(
      renderStatus(status),
      /from: {5}alice \(uid 1000\) 100 counts, 50 runs, 50% of the profile; uid 1001 1000\.0T counts, 1 run, 50% of the profile/,
    );
  });

  it('shows programs that run now in continuous collection, read lately by a daemon that runs', () => {
    const status = collectStatus({
      config,
      records: [],
      metrics: new Map(),
      profileGeneration: null,
      live: new Map([['calc', { running: 2, lastSnapshot: '2026-11-26T11:59:40Z' }]]),
      daemon: judgeDaemon({ holder: 4242 }, heartbeat),
      now,
    });
    assert.deepEqual(status.packages[0]!.live, { running: 2, lastSnapshot: '2026-11-26T11:59:40Z', current: true });
    const text = renderStatus(status);
    assert.match(
      text,
      /running: {2}2 live profiles of running programs, merged while they run \(last read 2026-11-26T11:59:40Z\)/,
    );
    assert.match(text, /daemon: {6}running \(pid 4242, since 2026-11-26T10:00:00Z; last pass 2026-11-26T11:59:41Z\)/);
  });

  it('never shows old live data as current: the daemon died, or has not read the files for three intervals', () => {
    const live = new Map([['calc', { running: 2, lastSnapshot: '2026-11-26T11:59:40Z' }]]);
    const dead = collectStatus({
      config,
      records: [],
      metrics: new Map(),
      profileGeneration: null,
      live,
      daemon: judgeDaemon({ holder: 0 }, heartbeat),
      now,
    });
    assert.equal(dead.packages[0]!.live!.current, false);
    const text = renderStatus(dead);
    assert.doesNotMatch(text, /of running programs, merged while they run/);
    assert.match(
      text,
      /running: {2}2 live profiles of programs that ran when last read at 2026-11-26T11:59:40Z; not read since: the daemon is not running/,
    );
    assert.match(
      text,
      /daemon: {6}NOT RUNNING since about 2026-11-26T11:59:41Z \(its last sign of life\): it did not stop cleanly/,
    );
    const stuck = collectStatus({
      config,
      records: [],
      metrics: new Map(),
      profileGeneration: null,
      live,
      daemon: judgeDaemon({ holder: 4242 }, heartbeat),
      now: new Date(now.getTime() + 3 * DEFAULT_COLLECTOR.liveSnapshotMs),
    });
    assert.equal(stuck.packages[0]!.live!.current, false);
    assert.match(renderStatus(stuck), /when last read at 2026-11-26T11:59:40Z; not read since \(see the daemon log\)/);
  });

  it('names packages whose programs collide in the Nix profile, and which one it runs', () => {
    const status = collectStatus({
      config,
      records: [],
      metrics: new Map(),
      profileGeneration: null,
      collisions: [{ file: 'bin/calc', packages: ['calc', 'lua'], winner: 'calc', from: 'profile' }],
    });
    const text = renderStatus(status);
    assert.match(text, /calc: vanilla\n(.*\n)* {2}collides: bin\/calc with lua: the Nix profile runs this package's\n/);
    assert.match(text, /lua: vanilla\n(.*\n)* {2}collides: bin\/calc with calc: the Nix profile runs calc's\n/);
    assert.deepEqual(status.collisions, status.packages[0]!.collisions);
  });

  it('shows the BOLT stage: its data against the BOLT policy, its profile, and what BOLT did to each file', () => {
    const boltConfig: Config = {
      ...config,
      packages: [
        {
          ...config.packages[0]!,
          bolt: { profileArg: 'boltProfiles', policy: { ...DEFAULT_POLICY, thresholdCounts: 1_000_000, minRuns: 4 } },
        },
      ],
    };
    const record = {
      ...newLifecycleRecord('calc', now),
      state: 'bolt-optimized' as const,
      activeVariant: 'bolt-optimized' as const,
      activePath: '/nix/store/b-calc',
      boltProfileStorePath: '/nix/store/f-bolt-calc-fdata',
    };
    const status = collectStatus({
      config: boltConfig,
      records: [record],
      metrics: new Map([
        [
          'calc#bolt',
          {
            mergedBytes: 10,
            bytesHarvested: 1024,
            counts: 1_000_000,
            runs: 3,
            convergence: null,
            generation: 2,
            mergedPath: '/m',
          },
        ],
      ]),
      profileGeneration: 5,
      boltFiles: new Map([
        [
          'calc',
          [
            { path: 'bin/calc', outcome: 'optimized' as const, reason: null },
            { path: 'lib/libcalc.so', outcome: 'fallback' as const, reason: 'llvm-bolt refused it' },
          ],
        ],
      ]),
    });
    assert.equal(status.packages[0]!.bolt!.runs, 3);
    const text = renderStatus(status);
    assert.match(text, /calc: bolt-optimized/);
    assert.match(text, /bolt: {5}\[#{20}\] 100% 1\.0M of 1\.0M counts, 3 of 4 runs \(1 more run\), BOLT merge 2/);
    assert.match(text, /bolt profile: \/nix\/store\/f-bolt-calc-fdata/);
    assert.match(text, /bin\/calc: optimized\n {4}lib\/libcalc\.so: kept as PGO built it: llvm-bolt refused it/);
    assert.equal(
      collectStatus({ config, records: [], metrics: new Map(), profileGeneration: null }).packages[0]!.bolt,
      null,
      'no BOLT section without BOLT',
    );
  });

  it('shows the tail of a failed build and when it is tried again', () => {
    const failed = {
      ...newLifecycleRecord('calc', now),
      state: 'ready' as const,
      failures: 2,
      nextRetryAt: '2026-11-26T12:02:00Z',
      lastBuild: {
        variant: 'optimized' as const,
        ok: false,
        startedAt: 'a',
        endedAt: 'b',
        storePath: null,
        logFile: '/l.log',
        error: 'nix-build failed',
        logTail: 'line one\nthe real error',
      },
    };
    const text = renderStatus(
      collectStatus({ config, records: [failed], metrics: new Map(), profileGeneration: null }),
    );
    assert.match(text, /optimized FAILED at b {2}log: \/l\.log/);
    assert.match(text, /retry: {4}after 2026-11-26T12:02:00Z \(2 failures in a row\)/);
    assert.match(text, /\| the real error/);
  });

  it('warns about quarantined files with their reasons', () => {
    assert.deepEqual(describeQuarantine(null, '/s'), []);
    const lines = describeQuarantine(
      { count: 3, bytes: 10, byReason: { symlink: 1, 'unknown-binary-id': 2 }, latest: [] },
      '/s',
    );
    assert.equal(lines.length, 1);
    assert.match(
      lines[0]!,
      /3 spool file\(s\) quarantined \(1 symlink, 2 unknown-binary-id\); they are kept in \/s\/quarantine/,
    );
  });

  it('draws the progress bar within its bounds', () => {
    assert.equal(renderProgressBar(0, 4), '[....] 0%');
    assert.equal(renderProgressBar(1.5, 4), '[####] 100%');
    assert.equal(renderProgressBar(0.5, 4), '[##..] 50%');
  });
});

describe('status of a package collecting data, and through an upgrade', () => {
  const metrics = (counts: number) =>
    new Map([
      [
        'calc',
        { mergedBytes: 10, bytesHarvested: 1024, counts, runs: 4, convergence: null, generation: 5, mergedPath: '/m' },
      ],
    ]);

  it('says why from the same numbers as its data line, not from the last planned step', () => {
    const calc = {
      ...newLifecycleRecord('calc', now),
      state: 'collecting' as const,
      reason: '0.3M of 2.0M counts collected',
      activeVariant: 'profile' as const,
      activePath: '/nix/store/x-calc',
    };
    const [p] = collectStatus({ config, records: [calc], metrics: metrics(800_000), profileGeneration: 1 }).packages;
    assert.equal(p!.reason, '0.8M of 2.0M counts collected');
    assert.match(
      renderStatus(collectStatus({ config, records: [calc], metrics: metrics(800_000), profileGeneration: 1 })),
      /data: {5}\S+ \d+% 0\.8M of 2\.0M counts/,
    );
    // A failure's words stay: they say what went wrong.
    const failed = { ...calc, failures: 1, reason: 'building failed' };
    assert.equal(
      collectStatus({ config, records: [failed], metrics: metrics(800_000), profileGeneration: 1 }).packages[0]!.reason,
      'building failed',
    );
  });

  it('shows the version, the match with what it loses, the upgrade and the history', () => {
    const v10 = { drvPath: '/nix/store/a-calc-1.0.drv', name: 'calc', version: '1.0' };
    const v11 = { drvPath: '/nix/store/b-calc-1.1.drv', name: 'calc', version: '1.1' };
    const calc = {
      ...newLifecycleRecord('calc', now),
      state: 'optimized-stale' as const,
      reason: 'the derivation changed',
      activeVariant: 'optimized' as const,
      activePath: '/nix/store/o',
      optimizedPath: '/nix/store/o',
      profileStorePath: '/nix/store/prof',
      origins: { optimized: v10 },
      profileSource: v10,
      upgrade: { from: v10, to: v11, variant: 'optimized' as const, noticedAt: now.toISOString() },
      match: {
        optimizedPath: '/nix/store/o',
        profileStorePath: '/nix/store/prof',
        measuredAt: now.toISOString(),
        result: {
          functions: 3,
          matched: 2,
          changed: 1,
          gone: 0,
          share: 0.311,
          lost: [{ name: 'calc.c:step', share: 0.689 }],
        },
        unmeasured: null,
      },
      history: [
        {
          at: now.toISOString(),
          event: 'trained',
          name: 'calc',
          version: '1.0',
          drvPath: null,
          profileStorePath: '/nix/store/prof',
          share: null,
        },
        {
          at: now.toISOString(),
          event: 'upgraded',
          name: 'calc',
          version: '1.1',
          drvPath: null,
          profileStorePath: '/nix/store/prof',
          share: null,
        },
      ],
    };
    const text = renderStatus(
      collectStatus({ config, records: [calc], metrics: metrics(800_000), profileGeneration: 1 }),
    );
    assert.match(text, /^ {2}active: {3}optimized of calc-1\.0 /m);
    assert.match(
      text,
      /^ {2}upgrade: {2}calc-1\.0 → calc-1\.1 \(noticed \S+\): the optimized variant is built with the profile it had$/m,
    );
    assert.match(text, /^ {2}profile: {2}\/nix\/store\/prof, from runs of calc-1\.0$/m);
    assert.match(text, /^ {2}match: {4}31\.1 % of the profile's counts apply \(2 of 3 functions; 1 changed, 0 gone\)/m);
    assert.match(text, /^ {2}lost: {5}calc\.c:step 68\.9 %$/m);
    assert.match(
      text,
      /^ {2}history:\n {4}\S+ {2}trained calc-1\.0 {2}profile \/nix\/store\/prof\n {4}\S+ {2}upgraded calc-1\.1 /m,
    );
  });
});

test('status says what the spool holds that is not ours: files left alone, squats (whose, by whom)', () => {
  const lines = describeSpool(
    {
      at: '2026-01-01T00:00:00.000Z',
      leftAlone: { files: 3, bytes: 3 * 1048576 },
      squats: [
        { dir: '/sp/llvm', uid: 1000, by: 1001, movedTo: null, cleared: true, lastSeen: '2026-01-01T00:00:00.000Z' },
      ],
      movedAside: [],
    },
    new Map([[1000, 'alice']]),
  );
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^3 files of other users\/daemons left alone \(3\.0 MB\)/);
  assert.match(lines[1]!, /^alice \(uid 1000\)'s directory in \/sp\/llvm was squatted by uid 1001 .*removed/);
  assert.deepEqual(describeSpool(null, new Map()), []);
});
