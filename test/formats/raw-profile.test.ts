/** The raw profile reader on hand-built headers and on malformed bytes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FunctionsRun,
  parseRawProfile,
  peekBinaryIds,
  RAW_HEADER_PEEK,
  RAW_MAGIC_32,
} from '../../src/formats/raw-profile.js';
import { makeRawProfile as makeProfile } from '../support/raw-profile-builder.js';

test('reads a well-formed profile: version, ids, length, value records', () => {
  const buf = makeProfile({ valueSites: 2 });
  const run = new FunctionsRun();
  const parsed = parseRawProfile(buf, run);
  assert.ok(parsed.ok);
  assert.deepEqual(run.list(), ['100:abc'], 'the one function with a nonzero counter');
  assert.deepEqual(parsed.segments, [
    {
      offset: 0,
      length: buf.length,
      version: 8,
      flags: 1,
      binaryIds: ['0123456789abcdef01234567'],
      functions: 2,
      counters: 3,
      countersOffset: 88 + 24 + 2 * 48,
      counterWidth: 8,
      mass: 5,
    },
  ]);
});

test('an empty file holds no profiles', () => {
  assert.deepEqual(parseRawProfile(Buffer.alloc(0)), { ok: true, segments: [] });
});

test('splits concatenated profiles', () => {
  const a = makeProfile({ id: Buffer.from('aa'.repeat(20), 'hex') });
  const b = makeProfile({ functions: 1, id: Buffer.from('bb'.repeat(20), 'hex'), valueSites: 1 });
  const parsed = parseRawProfile(Buffer.concat([a, b]));
  assert.ok(parsed.ok);
  assert.deepEqual(
    parsed.segments.map((s) => [s.offset, s.length, s.binaryIds[0]]),
    [
      [0, a.length, 'aa'.repeat(20)],
      [a.length, b.length, 'bb'.repeat(20)],
    ],
  );
});

test('truncated anywhere is "truncated"', () => {
  const buf = makeProfile({ valueSites: 1 });
  for (const cut of [1, 40, 87, 100, buf.length - 30, buf.length - 1]) {
    const parsed = parseRawProfile(buf.subarray(0, cut));
    assert.equal(parsed.ok, false, `cut at ${cut}`);
    if (!parsed.ok) assert.equal(parsed.problem, 'truncated', `cut at ${cut}: ${parsed.detail}`);
  }
});

test('wrong magic is "corrupt", 32-bit and other versions are "format-version"', () => {
  const bad = makeProfile();
  bad.writeBigUInt64LE(0x1234n, 0);
  const p1 = parseRawProfile(bad);
  assert.ok(!p1.ok && p1.problem === 'corrupt');
  const v32 = makeProfile();
  v32.writeBigUInt64LE(RAW_MAGIC_32, 0);
  const p2 = parseRawProfile(v32);
  assert.ok(!p2.ok && p2.problem === 'format-version');
  for (const version of [5n, 7n, 9n]) {
    const other = makeProfile();
    other.writeBigUInt64LE((1n << 56n) | version, 8);
    const p = parseRawProfile(other);
    assert.ok(!p.ok && p.problem === 'format-version', `version ${version}`);
  }
});

test('absurd sizes are refused before any allocation', () => {
  const huge = makeProfile();
  huge.writeBigUInt64LE(1n << 50n, 3 * 8);
  const p = parseRawProfile(huge);
  assert.ok(!p.ok && p.problem === 'corrupt');
  const bigButPlausible = makeProfile();
  bigButPlausible.writeBigUInt64LE(1n << 30n, 5 * 8);
  const q = parseRawProfile(bigButPlausible);
  assert.ok(!q.ok && q.problem === 'truncated');
  const oddIds = makeProfile();
  oddIds.writeBigUInt64LE(12n, 2 * 8);
  const r = parseRawProfile(oddIds);
  assert.ok(!r.ok && r.problem === 'corrupt');
});

test('a function whose counters lie outside the counter section is "corrupt"', () => {
  const buf = makeProfile();
  buf.writeBigInt64LE(4000n, 88 + 24 + 16); // header, 12-byte id padded to 24, then the first record's CounterPtr
  const p = parseRawProfile(buf);
  assert.ok(!p.ok && p.problem === 'corrupt', p.ok ? '' : p.detail);
});

test('a binary id that overruns its section or a zero-sized value record is "corrupt"', () => {
  const buf = makeProfile();
  buf.writeBigUInt64LE(200n, 88);
  const p = parseRawProfile(buf);
  assert.ok(!p.ok && p.problem === 'corrupt');
  const vp = makeProfile({ valueSites: 1 });
  vp.writeUInt32LE(0, vp.length - 24);
  const q = parseRawProfile(vp);
  assert.ok(!q.ok && q.problem === 'corrupt');
});

test('garbage after a good profile is reported, with the good one listed', () => {
  const good = makeProfile();
  const parsed = parseRawProfile(Buffer.concat([good, Buffer.from('not a profile at all....')]));
  assert.equal(parsed.ok, false);
  assert.equal(parsed.segments.length, 1);
});

test('mass is what llvm-profdata adds: a record repeated 200 times over one counter weighs 200 times', () => {
  const once = parseRawProfile(makeProfile({ functions: 1, counters: 1 }));
  const repeated = parseRawProfile(makeProfile({ functions: 200, counters: 1 }));
  assert.ok(once.ok && repeated.ok);
  assert.equal(once.segments[0]!.mass, 5);
  assert.equal(repeated.segments[0]!.mass, 200 * 5, 'the counters section holds 5 once; 200 records add it 200 times');
});

test('a counter above the int64 range is "corrupt"', () => {
  const buf = makeProfile();
  const parsed = parseRawProfile(buf);
  assert.ok(parsed.ok);
  buf.writeBigUInt64LE(1n << 63n, parsed.segments[0]!.countersOffset);
  const huge = parseRawProfile(buf);
  assert.ok(!huge.ok && huge.problem === 'corrupt' && /int64/.test(huge.detail), JSON.stringify(huge));
  buf.writeBigUInt64LE((1n << 63n) - 1n, parsed.segments[0]!.countersOffset);
  assert.ok(parseRawProfile(buf).ok, 'the largest int64 is a count');
});

test('counts beyond 2^53 and 64-bit keys read as BigInt arithmetic would give them', () => {
  const buf = makeProfile({ functions: 3, counters: 3 });
  const parsed = parseRawProfile(buf);
  assert.ok(parsed.ok);
  const counts = [(1n << 53n) + 1n, (1n << 62n) + 12345n, 7n];
  for (const [i, v] of counts.entries()) buf.writeBigUInt64LE(v, parsed.segments[0]!.countersOffset + i * 8);
  const dataStart = parsed.segments[0]!.countersOffset - 3 * 48;
  const keys = [
    [0xfedcba9876543210n, 0x1_00000001n],
    [0x1n, 0xffffffffn],
    [0x8000000000000000n, 0xabcn],
  ];
  for (const [i, [name, hash]] of keys.entries()) {
    buf.writeBigUInt64LE(name!, dataStart + i * 48);
    buf.writeBigUInt64LE(hash!, dataStart + i * 48 + 8);
  }
  const run = new FunctionsRun();
  const again = parseRawProfile(buf, run);
  assert.ok(again.ok);
  assert.equal(
    again.segments[0]!.mass,
    counts.reduce((mass, v) => mass + Number(v), 0),
  );
  const expected = keys.map(([name, hash]) => `${name!.toString(16)}:${hash!.toString(16)}`);
  assert.deepEqual(run.list(), expected);
  parseRawProfile(Buffer.concat([buf, buf]), run);
  assert.deepEqual(run.list(), expected, 'each function once, however many profiles ran it');
});

test('functions sharing half a name hash are still told apart, each listed once', () => {
  const functions = 40;
  const buf = makeProfile({ functions, counters: functions });
  const parsed = parseRawProfile(buf);
  assert.ok(parsed.ok);
  const countersAt = parsed.segments[0]!.countersOffset;
  const dataStart = countersAt - functions * 48;
  for (let i = 0; i < functions; i++) {
    // One low half for all: past 16 of them the bucket turns into a Set of keys.
    buf.writeUInt32LE(0xdeadbeef, dataStart + i * 48);
    buf.writeUInt32LE(i, dataStart + i * 48 + 4);
    buf.writeBigUInt64LE(1n, countersAt + i * 8);
  }
  const run = new FunctionsRun();
  assert.ok(parseRawProfile(Buffer.concat([buf, buf, buf]), run).ok);
  const expected = Array.from({ length: functions }, (_, i) => `${i === 0 ? '' : i.toString(16)}deadbeef:abc`);
  assert.deepEqual(run.list().sort(), expected.sort());
});

test('a profile that turns out corrupt adds none of its functions', () => {
  const good = makeProfile({ functions: 2, counters: 2 });
  const bad = makeProfile({ functions: 2, counters: 2, valueSites: 1 });
  bad.writeBigUInt64LE(0x999n, 88 + 24);
  const cut = bad.subarray(0, bad.length - 8);
  const run = new FunctionsRun();
  const parsed = parseRawProfile(Buffer.concat([good, cut]), run);
  assert.ok(!parsed.ok && parsed.segments.length === 1);
  assert.deepEqual(run.list(), ['100:abc'], "the whole first profile's; not 999:abc of the cut one");
});

test('the binary ids are read from the header alone, before the rest of the file', () => {
  const buf = makeProfile({ id: Buffer.from('cd'.repeat(20), 'hex') });
  assert.deepEqual(peekBinaryIds(buf.subarray(0, RAW_HEADER_PEEK)), ['cd'.repeat(20)]);
  assert.deepEqual(peekBinaryIds(buf.subarray(0, 88 + 8 + 20 + 4)), ['cd'.repeat(20)]);
  assert.equal(peekBinaryIds(buf.subarray(0, 90)), null, 'the id section cut off');
  assert.equal(
    peekBinaryIds(
      Buffer.from('not a profile at all, but long enough to hold a header of 88 bytes.....................'),
    ),
    null,
  );
});
