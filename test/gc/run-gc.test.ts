import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { runGc } from '../../src/gc/run-gc.js';
import { parseConfig } from '../../src/config/parse-config.js';
import { newLifecycleRecord } from '../../src/model/lifecycle-record.js';
import { lockProfile } from '../../src/store/store-profile.js';
import { stateLayout } from '../../src/state/state-layout.js';
import { makeTempDir } from '../support/nix.js';

describe('runGc', () => {
  it('keeps the roots of locked profiles and of profiles an optimized variant can switch back to, and removes the rest', async () => {
    const stored = (name: string) => `/nix/store/00000000000000000000000000000000-pgo-${name}.profdata`;
    const stateDir = makeTempDir('gc');
    const layout = stateLayout(stateDir);
    const config = parseConfig({
      text: JSON.stringify({ stateDir, nixFile: '/p.nix', packages: { calc: {}, wordfreq: {}, hello: {} } }),
      file: join(stateDir, 'config.json'),
      env: {},
    });
    mkdirSync(layout.gcRootDir);
    for (const name of ['calc', 'wordfreq', 'hello', 'gone'])
      symlinkSync(stored(name), join(layout.gcRootDir, `${name}-profile-1`));
    // A newer profile of calc, stored for a build that failed: nothing names it.
    symlinkSync(stored('calc-failed'), join(layout.gcRootDir, 'calc-profile-2'));
    // calc's BOLT profile, locked under boltProfiles.
    symlinkSync(
      '/nix/store/00000000000000000000000000000000-bolt-calc-fdata',
      join(layout.gcRootDir, 'calc#bolt-profile-1'),
    );
    lockProfile(layout.lockFile, 'calc', {
      storePath: '/nix/store/00000000000000000000000000000000-pgo-calc.profdata',
      hashMode: 'flat',
      hash: 'sha256:00',
      generation: 1,
      lockedAt: '2026-11-26T05:27:45.176Z',
    });
    lockProfile(
      layout.lockFile,
      'calc',
      {
        storePath: '/nix/store/00000000000000000000000000000000-bolt-calc-fdata',
        hashMode: 'recursive',
        hash: 'sha256:00',
        generation: 1,
        lockedAt: '2026-11-26T05:27:45.176Z',
      },
      'boltProfiles',
    );
    const now = new Date();
    const records = [
      // Rolled back to profiling: out of the lock, but `nix-pgo switch wordfreq` brings its optimized variant back.
      {
        ...newLifecycleRecord('wordfreq', now),
        state: 'collecting' as const,
        optimizedPath: '/nix/store/o-wordfreq',
        profileStorePath: stored('wordfreq'),
        activeVariant: 'profile' as const,
      },
      // Never optimized.
      { ...newLifecycleRecord('hello', now), state: 'collecting' as const, activeVariant: 'profile' as const },
    ];
    const report = await runGc(config, { keepGenerations: 5, keepLogs: 5, records });
    assert.deepEqual(report.rootsRemoved.sort(), ['calc-profile-2', 'gone-profile-1', 'hello-profile-1']);
    assert.deepEqual(readdirSync(layout.gcRootDir).sort(), [
      'calc#bolt-profile-1',
      'calc-profile-1',
      'wordfreq-profile-1',
    ]);
  });
});
