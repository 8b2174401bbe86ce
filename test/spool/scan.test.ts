/** Which names the spool layout allows. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isGcdaName, isProfrawName } from '../../src/spool/scan.js';

test('spool file names', () => {
  assert.ok(isProfrawName('15853201384554121347_0.profraw'));
  assert.ok(!isProfrawName('.hidden.profraw'));
  assert.ok(!isProfrawName('notes.txt'));
  assert.ok(!isProfrawName('a\nb.profraw'));
  assert.ok(isGcdaName('#build#src#main.gcda'));
  assert.ok(!isGcdaName('x..gcda'));
});
