/** The variables that point a user's instrumented programs at their part of the spool. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spoolEnvironment } from '../../src/spool/spool-environment.js';

test("raw profiles: the user's own directory, a file per process and binary; GCC: the user's own tree under the whole baked path", () => {
  assert.deepEqual(spoolEnvironment('/sp', 1000), {
    LLVM_PROFILE_FILE: '/sp/llvm/1000/%p-%m.profraw',
    GCOV_PREFIX: '/sp/gcda/1000',
    GCOV_PREFIX_STRIP: '0',
  });
});
