/** The pure verdict of crash recovery for one take of an unfinished harvest. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeTake } from '../../src/harvest/recover-harvests.js';

test('recovery verdicts: unchanged → settle now, empty or replaced → keep, changed → exclude', () => {
  const take = {
    sourcePath: '/s',
    uid: 0,
    dev: '1',
    ino: '2',
    size: 10,
    sha256: 'h',
    pieces: [],
    settle: 'unlink' as const,
  };
  assert.equal(judgeTake(take, { sameFile: true, size: 10, sha256: 'h' }), 'settle-now');
  assert.equal(judgeTake(take, { sameFile: true, size: 0, sha256: 'e' }), 'keep');
  assert.equal(judgeTake(take, { sameFile: false, size: 10, sha256: 'h' }), 'keep');
  assert.equal(judgeTake(take, { sameFile: true, size: 10, sha256: 'other' }), 'exclude');
});
