/** Which profiles the lock must name for each variant to be what an evaluation from the lock builds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wantedLock } from '../../src/actions/follow-lock.js';
import { newLifecycleRecord } from '../../src/model/lifecycle-record.js';

test('profile and none: no entry; optimized and BOLT-instrumented: the PGO profile; BOLT-optimized: both', () => {
  const record = {
    ...newLifecycleRecord('calc', new Date()),
    profileStorePath: '/nix/store/p-pgo-calc.profdata',
    profileGeneration: 4,
    boltProfileStorePath: '/nix/store/b-bolt-calc-fdata',
    boltProfileGeneration: 2,
  };
  const pgo = { storePath: '/nix/store/p-pgo-calc.profdata', generation: 4 };
  assert.deepEqual(wantedLock(record, 'profile'), { packages: null, boltProfiles: null });
  assert.deepEqual(wantedLock(record, null), { packages: null, boltProfiles: null });
  assert.deepEqual(wantedLock(record, 'optimized'), { packages: pgo, boltProfiles: null });
  assert.deepEqual(wantedLock(record, 'bolt-profile'), { packages: pgo, boltProfiles: null });
  assert.deepEqual(wantedLock(record, 'bolt-optimized'), {
    packages: pgo,
    boltProfiles: { storePath: '/nix/store/b-bolt-calc-fdata', generation: 2 },
  });
  assert.deepEqual(
    wantedLock({ ...record, profileStorePath: null }, 'optimized'),
    { packages: null, boltProfiles: null },
    'nothing to lock before a profile was stored',
  );
});
