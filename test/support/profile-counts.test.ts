/** Parsing the text form llvm-profdata prints, which the exact-count tests compare. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTextProfile } from './profile-counts.js';

test('text profiles: counters read, value data skipped', () => {
  const text = [
    ':ir',
    'main',
    '# Func Hash:',
    '12',
    '# Num Counters:',
    '2',
    '# Counter Values:',
    '40',
    '1',
    '# Num Value Kinds:',
    '1',
    'x:20',
    '',
    'f',
    '# Func Hash:',
    '7',
    '# Num Counters:',
    '1',
    '# Counter Values:',
    '0',
    '',
  ].join('\n');
  assert.deepEqual(parseTextProfile(text), [
    { name: 'main', hash: '12', counters: [40n, 1n] },
    { name: 'f', hash: '7', counters: [0n] },
  ]);
});
