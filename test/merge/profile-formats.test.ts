/** Every toolchain has its profile format, and recovery knows every format's outputs by name. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generationName, parseGenerationName } from '../../src/merge/plan-merge.js';
import { PROFILE_FORMATS, profileFormat } from '../../src/merge/profile-formats.js';

test('each toolchain names its outputs with a suffix of its own', () => {
  const suffixes = (['clang', 'gcc', 'bolt'] as const).map((t) => profileFormat(t).suffix);
  assert.deepEqual(suffixes, ['profdata', 'gcda.d', 'fdata.d']);
  assert.equal(new Set(PROFILE_FORMATS.map((f) => f.suffix)).size, PROFILE_FORMATS.length);
});

test('a generation name reads back as its generation; anything else as none', () => {
  for (const toolchain of ['clang', 'gcc', 'bolt'] as const)
    assert.equal(parseGenerationName(generationName(12, toolchain)), 12);
  for (const other of ['gen-3.profdata.tmp', 'gen-3.gcda.d.work', 'gen-x.profdata', 'gen-3.txt', 'contributors'])
    assert.equal(parseGenerationName(other), null, other);
});

test('a stored output that is not whole is named as such, per format', () => {
  assert.match(profileFormat('clang').check('/dev/null') ?? '', /0 bytes, not an indexed profile/);
  assert.match(profileFormat('gcc').check('/dev/null') ?? '', /is not a directory/);
  assert.match(profileFormat('bolt').check('/dev/null') ?? '', /is not a directory/);
});
