/** The variable that points every user's instrumented programs at the spool. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spoolEnvironment } from '../../src/spool/spool-environment.js';
import { userSpoolDir } from '../../src/spool/spool-layout.js';

test('one variable, the same for every user and without %: each program finds its own directory below it', () => {
  assert.deepEqual(spoolEnvironment('/sp'), { NIX_PGO_SPOOL: '/sp' });
  assert.equal(userSpoolDir('/sp', 'llvm', 1000), '/sp/llvm/1000');
  assert.equal(userSpoolDir('/sp', 'bolt', 0), '/sp/bolt/0');
});
