/** The variables that point a user's instrumented programs at their part of the spool. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spoolEnvironment } from '../../src/spool/spool-environment.js';

test("the variables point into the user's spool; GCC files keep the whole baked path", () => {
  assert.deepEqual(spoolEnvironment('/sp', 1000), {
    LLVM_PROFILE_FILE: '/sp/1000/llvm/%m.profraw',
    GCOV_PREFIX: '/sp/1000/gcda',
    GCOV_PREFIX_STRIP: '0',
  });
});
