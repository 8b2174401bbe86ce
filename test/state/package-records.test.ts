/**
 * What the data threshold counts: every merge adds the mass of the inputs it
 * consumed (a live file's growth and an exited program's file alike), and only
 * those.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { withDatabase } from '../../src/state/database.js';
import { readyStaged } from '../../src/state/harvest-journal.js';
import { commitLiveSnapshot } from '../../src/state/live-snapshots.js';
import { commitMerge, ensurePackage, getPackage } from '../../src/state/package-records.js';
import { makeTempDir } from '../support/nix.js';

test('a merge adds the counts of the inputs it consumed, and not of those it left', async () => {
  await withDatabase(join(makeTempDir('counts'), 'state.sqlite'), (db) => {
    ensurePackage(db, 'ticker', 'clang');
    const stage = (path: string, mass: number) =>
      commitLiveSnapshot(db, {
        staged: [
          {
            package: 'ticker',
            kind: 'llvm',
            path,
            relPath: null,
            bytes: 968,
            files: 0,
            contributor: 1000,
            runs: {},
            mass,
          },
        ],
        quarantine: [],
        snapshot: {
          path: '/spool/llvm/live-1-2_0.profraw',
          dev: '1',
          ino: '2',
          uid: 1000,
          package: 'ticker',
          bytes: Buffer.alloc(0),
          takenAt: 'now',
          ended: false,
        },
        counted: { bytes: 0, files: 0 },
      });
    stage('/staging/a', 250_000);
    stage('/staging/b', 1_500_000);
    stage('/staging/c', 7);
    const [a, b] = readyStaged(db, 'ticker');
    const generation = {
      package: 'ticker',
      generation: 1,
      path: '/p/gen-1',
      sha256: 'h',
      bytes: 1,
      inputs: 2,
      functionsNonzero: null,
      overlap: null,
    };
    commitMerge(db, generation, [], [a!.id, b!.id]);
    assert.equal(getPackage(db, 'ticker')!.countsMerged, 1_750_000);
    assert.equal(getPackage(db, 'ticker')!.bytesHarvested, 0, 'growth adds no bytes: it is the same file');
    commitMerge(
      db,
      { ...generation, generation: 2 },
      [],
      readyStaged(db, 'ticker').map((s) => s.id),
    );
    assert.equal(getPackage(db, 'ticker')!.countsMerged, 1_750_007);
  });
});
