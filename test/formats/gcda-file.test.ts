/** The gcda reader on hand-built files: runs, counters, zero-counter records, malformed input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gcdaCompilerMajor, parseGcda, GCDA_MAGIC } from '../../src/formats/gcda-file.js';

const words = (...w: number[]) => {
  const b = Buffer.alloc(w.length * 4);
  for (const [i, v] of w.entries()) b.writeInt32LE(v | 0, i * 4);
  return b;
};
const u64s = (...v: bigint[]) => {
  const b = Buffer.alloc(v.length * 8);
  for (const [i, x] of v.entries()) b.writeBigUInt64LE(x, i * 8);
  return b;
};
const VERSION_12 = 0x4232322a; // "B22*"

function gcda(): Buffer {
  return Buffer.concat([
    words(GCDA_MAGIC, VERSION_12, 1, 2),
    words(0xa1000000, 8, 5, 99), // object summary: runs 5
    words(0x01000000, 12, 7, 0x1234, 0x5678), // function 7 and its checksums
    words(0x01a10000, 24),
    u64s(3n, 0n, 9n),
    words(0x01000000, 12, 8, 0, 0), // function 8, all-zero counters stored as a negative length
    words(0x01a10000, -16),
    words(0),
  ]);
}

test('reads runs, checksums and arc counters, including all-zero records', () => {
  const parsed = parseGcda(gcda());
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.file, {
    compilerMajor: 12,
    runs: 5,
    functions: [
      { ident: 7, linenoChecksum: 0x1234, cfgChecksum: 0x5678, arcs: [3n, 0n, 9n] },
      { ident: 8, linenoChecksum: 0, cfgChecksum: 0, arcs: [0n, 0n] },
    ],
  });
});

test('decodes GCC version words', () => {
  assert.equal(gcdaCompilerMajor(VERSION_12), 12);
  assert.equal(gcdaCompilerMajor(0x4233302a), 13);
  assert.equal(gcdaCompilerMajor(0x4139302a), 9);
});

test('malformed files are refused with the right class', () => {
  const good = gcda();
  for (const cut of [3, 15, 20, 40, good.length - 9]) {
    const p = parseGcda(good.subarray(0, cut));
    assert.ok(!p.ok && p.problem === 'truncated', `cut ${cut}`);
  }
  const magic = Buffer.from(good);
  magic.writeUInt32LE(0x12345678, 0);
  const p = parseGcda(magic);
  assert.ok(!p.ok && p.problem === 'corrupt');
  const odd = Buffer.concat([words(GCDA_MAGIC, VERSION_12, 1, 2), words(0x01000000, 5, 1, 2)]);
  const q = parseGcda(odd);
  assert.ok(!q.ok && q.problem === 'corrupt');
  const orphanArcs = Buffer.concat([words(GCDA_MAGIC, VERSION_12, 1, 2), words(0x01a10000, 8), u64s(1n)]);
  const r = parseGcda(orphanArcs);
  assert.ok(!r.ok && r.problem === 'corrupt');
});
