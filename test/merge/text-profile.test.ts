/** Scaling and summing a profile in llvm-profdata's text form. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  filterTextProfile,
  scaleTextProfile,
  splitTextProfile,
  sumTextProfileCounters,
} from '../../src/merge/text-profile.js';

const text = [
  '# IR level Instrumentation Flag',
  ':ir',
  'main',
  '# Func Hash:',
  '1234',
  '# Num Counters:',
  '3',
  '# Counter Values:',
  '1000',
  '7',
  '0',
  '# Num Value Kinds:',
  '1',
  '# ValueKind = IPVK_IndirectCallTarget:',
  '0',
  '# NumValueSites:',
  '2',
  '2',
  'foo:600',
  'file.c;bar:400',
  '0',
  '',
  'file.c;helper',
  '# Func Hash:',
  '99',
  '# Num Counters:',
  '1',
  '# Counter Values:',
  '20',
  '',
].join('\n');

test('counters and indirect-call target counts are scaled and rounded; names, hashes and the layout stay', () => {
  const scaled = scaleTextProfile(text, 0.25).split('\n');
  const original = text.split('\n');
  assert.equal(scaled.length, original.length);
  const changed = original.map((line, i) => [line, scaled[i]]).filter(([a, b]) => a !== b);
  assert.deepEqual(changed, [
    ['1000', '250'],
    ['7', '2'],
    ['foo:600', 'foo:150'],
    ['file.c;bar:400', 'file.c;bar:100'],
    ['20', '5'],
  ]);
  assert.equal(scaleTextProfile(text, 1), text);
  // A tiny factor keeps its precision: 10^15 scaled to 57950.
  assert.equal(
    scaleTextProfile('# Num Counters:\n1\n# Counter Values:\n1000000000000000', 57950 / 1e15).split('\n')[3],
    '57950',
  );
  assert.throws(() => scaleTextProfile(text, 0));
  assert.throws(() => scaleTextProfile(text, 2));
});

test('the sum of block counters leaves value-profile counts out', () => {
  assert.equal(sumTextProfileCounters(text), 1027);
});

test('splits a text profile into its header and records, value profiles kept with their record', () => {
  const { header, records } = splitTextProfile(text);
  assert.deepEqual(header, ['# IR level Instrumentation Flag', ':ir']);
  assert.deepEqual(
    records.map((r) => [r.name, r.hash, r.counters]),
    [
      ['main', 1234n, [1000n, 7n, 0n]],
      ['file.c;helper', 99n, [20n]],
    ],
  );
  assert.ok(records[0]!.lines.includes('file.c;bar:400'));
});

test('keeps only the records asked for, in a form that splits the same way', () => {
  const kept = filterTextProfile(text, (r) => r.name === 'file.c;helper');
  assert.deepEqual(
    splitTextProfile(kept).records.map((r) => r.name),
    ['file.c;helper'],
  );
  assert.equal(sumTextProfileCounters(kept), 20);
  assert.ok(kept.startsWith('# IR level Instrumentation Flag\n:ir\n'));
});
