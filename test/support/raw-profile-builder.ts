// Hand-built LLVM raw profiles (format version 8) for tests of everything that reads them.
import { RAW_MAGIC_64 } from '../../src/formats/raw-profile.js';

/** A minimal version-8 raw profile: one binary id, `functions` data records, value sites on the first. */
export function makeRawProfile(
  opts: { functions?: number; counters?: number; names?: number; valueSites?: number; id?: Buffer } = {},
): Buffer {
  const functions = opts.functions ?? 2;
  const counters = opts.counters ?? 3;
  const names = opts.names ?? 13;
  const id = opts.id ?? Buffer.from('0123456789abcdef01234567', 'hex');
  const idSection = Buffer.alloc(8 + id.length + ((8 - (id.length % 8)) % 8));
  idSection.writeBigUInt64LE(BigInt(id.length), 0);
  id.copy(idSection, 8);
  const header = Buffer.alloc(88);
  const fields = [
    RAW_MAGIC_64,
    (1n << 56n) | 8n,
    BigInt(idSection.length),
    BigInt(functions),
    0n,
    BigInt(counters),
    0n,
    BigInt(names),
    0n,
    0n,
    1n,
  ];
  for (const [i, v] of fields.entries()) header.writeBigUInt64LE(v, i * 8);
  // Function i owns counter i (or the last one); CounterPtr is relative to its own record (CountersDelta 0).
  const data = Buffer.alloc(functions * 48);
  for (let i = 0; i < functions; i++) {
    data.writeBigUInt64LE(BigInt(0x100 + i), i * 48);
    data.writeBigUInt64LE(0xabcn, i * 48 + 8);
    data.writeBigInt64LE(BigInt(-i * 48 + Math.min(i, counters - 1) * 8), i * 48 + 16);
    data.writeUInt32LE(1, i * 48 + 40);
  }
  if (opts.valueSites) data.writeUInt16LE(opts.valueSites, 44);
  const counterBytes = Buffer.alloc(counters * 8);
  counterBytes.writeBigUInt64LE(5n, 0);
  const nameBytes = Buffer.alloc(names + ((8 - (names % 8)) % 8));
  const value = Buffer.alloc(opts.valueSites ? 24 : 0);
  if (opts.valueSites) {
    value.writeUInt32LE(24, 0);
    value.writeUInt32LE(1, 4);
  }
  return Buffer.concat([header, idSection, data, counterBytes, nameBytes, value]);
}
