/**
 * Reads the layout of LLVM raw profiles (`.profraw`, raw format version 8 as
 * written by LLVM 15 and 16) without running a process per file: magic,
 * version, binary IDs and the sizes that give each profile's length, so a file
 * holding several concatenated profiles can be split and attributed exactly.
 * Field order follows INSTR_PROF_RAW_HEADER in compiler-rt's InstrProfData.inc.
 */

/** "\xfflprofr\x81" read as a little-endian u64 (64-bit pointers). */
export const RAW_MAGIC_64 = 0xff6c70726f667281n;
/** The same magic for 32-bit programs, which this reader does not take. */
export const RAW_MAGIC_32 = 0xff6c70726f665281n;
export const SUPPORTED_RAW_VERSION = 8;

const HEADER_FIELDS = 11;
const HEADER_BYTES = HEADER_FIELDS * 8;
const VERSION_MASK = 0x00ffffffffffffffn;
const BYTE_COVERAGE_FLAG = 1n << 60n;
/** Anything bigger than this in one header field is not a profile we wrote. */
const MAX_FIELD = 1n << 40n;

export type RawProfileProblem = 'truncated' | 'format-version' | 'corrupt';

export interface RawProfileSegment {
  offset: number;
  length: number;
  version: number;
  /** The variant flags in the version's top byte (IR, context-sensitive, ...). */
  flags: number;
  binaryIds: string[];
  functions: number;
  counters: number;
  /** Absolute offset of the counters section in the buffer, and the width of one counter (8, or 1 for byte coverage). */
  countersOffset: number;
  counterWidth: number;
  /**
   * What a merge adds: the sum over data records of each record's counters (byte coverage: counters set).
   * llvm-profdata adds a record's counters once per record, so a record repeated 200 times weighs 200 times.
   */
  mass: number;
}

export type RawProfileParse =
  | { ok: true; segments: RawProfileSegment[] }
  | { ok: false; problem: RawProfileProblem; detail: string; segments: RawProfileSegment[] };

function pad8(n: number): number {
  return (8 - (n % 8)) % 8;
}

class Malformed extends Error {
  constructor(
    readonly problem: RawProfileProblem,
    detail: string,
  ) {
    super(detail);
  }
}

function need(buf: Buffer, offset: number, bytes: number, what: string): void {
  if (offset + bytes > buf.length) {
    throw new Malformed('truncated', `${what} needs ${bytes} bytes at offset ${offset}, file has ${buf.length}`);
  }
}

function field(value: bigint, name: string): number {
  if (value > MAX_FIELD) throw new Malformed('corrupt', `header field ${name} is absurd (${value})`);
  return Number(value);
}

function readBinaryIds(buf: Buffer, start: number, size: number): string[] {
  const ids: string[] = [];
  let at = start;
  const end = start + size;
  while (at < end) {
    if (at + 8 > end) throw new Malformed('corrupt', `binary id length at ${at} crosses the id section`);
    const length = field(buf.readBigUInt64LE(at), 'binary id length');
    at += 8;
    if (length === 0 || at + length + pad8(length) > end) {
      throw new Malformed('corrupt', `binary id of ${length} bytes at ${at} does not fit the id section`);
    }
    ids.push(buf.subarray(at, at + length).toString('hex'));
    at += length + pad8(length);
  }
  return ids;
}

function readSegment(buf: Buffer, offset: number, run: FunctionsRun | undefined): RawProfileSegment {
  need(buf, offset, HEADER_BYTES, 'the header');
  const h = (i: number) => buf.readBigUInt64LE(offset + i * 8);
  const magic = h(0);
  if (magic === RAW_MAGIC_32) throw new Malformed('format-version', '32-bit raw profile');
  if (magic !== RAW_MAGIC_64) throw new Malformed('corrupt', `bad magic 0x${magic.toString(16)} at offset ${offset}`);
  const rawVersion = h(1);
  const version = Number(rawVersion & VERSION_MASK);
  if (version !== SUPPORTED_RAW_VERSION) {
    throw new Malformed('format-version', `raw profile version ${version}, expected ${SUPPORTED_RAW_VERSION}`);
  }
  const binaryIdsSize = field(h(2), 'BinaryIdsSize');
  const dataCount = field(h(3), 'DataSize');
  const padBefore = field(h(4), 'PaddingBytesBeforeCounters');
  const counterCount = field(h(5), 'CountersSize');
  const padAfter = field(h(6), 'PaddingBytesAfterCounters');
  const namesSize = field(h(7), 'NamesSize');
  const valueKindLast = field(h(10), 'ValueKindLast');
  if (binaryIdsSize % 8 !== 0) throw new Malformed('corrupt', `BinaryIdsSize ${binaryIdsSize} is not a multiple of 8`);
  if (padBefore > 7 || padAfter > 7) throw new Malformed('corrupt', 'counter padding larger than 7 bytes');
  if (valueKindLast > 7) throw new Malformed('corrupt', `ValueKindLast ${valueKindLast} is absurd`);
  const counterBytes = (rawVersion & BYTE_COVERAGE_FLAG) !== 0n ? 1 : 8;
  // NameRef, FuncHash, CounterPtr, FunctionPointer, Values (u64 each), NumCounters (u32), NumValueSites (u16 per kind).
  const sitesOffset = 44;
  const dataRecordBytes = sitesOffset + 2 * (valueKindLast + 1) + pad8(sitesOffset + 2 * (valueKindLast + 1));

  let at = offset + HEADER_BYTES;
  need(buf, at, binaryIdsSize, 'the binary ids');
  const binaryIds = readBinaryIds(buf, at, binaryIdsSize);
  at += binaryIdsSize;
  const dataStart = at;
  const fixedBytes =
    dataCount * dataRecordBytes + padBefore + counterCount * counterBytes + padAfter + namesSize + pad8(namesSize);
  need(buf, at, fixedBytes, 'the data, counters and names');
  const countersStart = dataStart + dataCount * dataRecordBytes + padBefore;
  const { mass, ran } = readRecords(buf, run !== undefined, {
    dataStart,
    dataCount,
    dataRecordBytes,
    countersStart,
    counterCount,
    counterBytes,
    countersDelta: h(8),
  });
  at += fixedBytes;
  // Value profile records follow the names: one per function that has value sites, each starting with its byte size.
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < dataCount; i++) {
    const record = dataStart + i * dataRecordBytes;
    let kinds = 0;
    for (let k = 0; k <= valueKindLast; k++) kinds += view.getUint16(record + sitesOffset + 2 * k, true) !== 0 ? 1 : 0;
    if (kinds === 0) continue;
    need(buf, at, 8, 'a value profile record');
    const total = buf.readUInt32LE(at);
    const recordKinds = buf.readUInt32LE(at + 4);
    if (total < 8 || total % 8 !== 0 || recordKinds > valueKindLast + 1) {
      throw new Malformed('corrupt', `value profile record at ${at} has size ${total} and ${recordKinds} kinds`);
    }
    need(buf, at, total, 'a value profile record');
    at += total;
  }
  // Only a whole profile's functions count, as only whole profiles are merged.
  if (run) for (const record of ran) run.add(view, record);
  return {
    offset,
    length: at - offset,
    version,
    flags: Number(rawVersion >> 56n),
    binaryIds,
    functions: dataCount,
    counters: counterCount,
    countersOffset: countersStart,
    counterWidth: counterBytes,
    mass,
  };
}

interface CounterLayout {
  dataStart: number;
  dataCount: number;
  dataRecordBytes: number;
  countersStart: number;
  counterCount: number;
  counterBytes: number;
  countersDelta: bigint;
}

/** The largest count llvm-profdata keeps exactly: its counters are int64 in the indexed profile and its text form. */
export const MAX_COUNT = (1n << 63n) - 1n;

/**
 * Each data record points at its counters relative to its own address; the header's CountersDelta is
 * that distance for the first record (as RawInstrProfReader computes it). Returns the mass, per record as
 * llvm-profdata reads them, and (with `listRan`) where the records of the functions with a nonzero counter are.
 */
function readRecords(buf: Buffer, listRan: boolean, l: CounterLayout): { mass: number; ran: number[] } {
  const ran: number[] = [];
  // A DataView reads as fast as the engine can; Buffer's read methods check their arguments on every call.
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let mass = 0;
  const firstDelta = BigInt.asIntN(64, l.countersDelta);
  if (firstDelta > MAX_FIELD || firstDelta < -MAX_FIELD) throw new Malformed('corrupt', 'CountersDelta is absurd');
  const delta = Number(firstDelta);
  for (let i = 0; i < l.dataCount; i++) {
    const record = l.dataStart + i * l.dataRecordBytes;
    // Plain numbers, not BigInts: a pointer difference beyond ±2^52 is corrupt anyway.
    const high = view.getInt32(record + 20, true);
    const pointer =
      high >= 0x100000 || high < -0x100000 ? Number.NaN : high * 0x100000000 + view.getUint32(record + 16, true);
    const first = (pointer - (delta - i * l.dataRecordBytes)) / l.counterBytes;
    const count = view.getUint32(record + 40, true);
    if (!Number.isInteger(first) || first < 0 || first + count > l.counterCount) {
      throw new Malformed('corrupt', `function ${i} points outside the counters`);
    }
    let nonzero = false;
    for (let c = 0; c < count; c++) {
      const at = l.countersStart + (first + c) * l.counterBytes;
      let value: number;
      if (l.counterBytes === 8) {
        const top = view.getUint32(at + 4, true);
        if (top >= 0x80000000)
          throw new Malformed(
            'corrupt',
            `function ${i} has a counter above the int64 range (${buf.readBigUInt64LE(at)})`,
          );
        // Rounded as Number(BigInt) rounds: the high part is exact, the one addition rounds to nearest.
        value = top * 0x100000000 + view.getUint32(at, true);
      } else value = view.getUint8(at) === 0 ? 1 : 0;
      if (value !== 0) nonzero = true;
      mass += value;
    }
    if (nonzero && listRan) ran.push(record);
  }
  return { mass, ran };
}

/**
 * The functions that ran, over many profiles: each function's name hash and structural hash, compared as numbers
 * (no string per function and profile), and listed once each as the key recorded for it, `name:hash` in hex.
 */
export class FunctionsRun {
  /**
   * By the name hash's low half: the other three halves of each function seen, three numbers per function; or,
   * once a bucket holds many (a profile may be built to collide here), the keys themselves, in a Set.
   */
  private readonly seen = new Map<number, number[] | Set<string>>();
  private readonly keys: string[] = [];

  /** The function of the data record at `at`. */
  add(view: DataView, at: number): void {
    const nameLow = view.getUint32(at, true);
    const nameHigh = view.getUint32(at + 4, true);
    const hashLow = view.getUint32(at + 8, true);
    const hashHigh = view.getUint32(at + 12, true);
    const same = this.seen.get(nameLow);
    if (same instanceof Set) {
      const key = functionKey(nameHigh, nameLow, hashHigh, hashLow);
      if (same.has(key)) return;
      same.add(key);
      this.keys.push(key);
      return;
    }
    if (same !== undefined)
      for (let i = 0; i < same.length; i += 3)
        if (same[i] === nameHigh && same[i + 1] === hashLow && same[i + 2] === hashHigh) return;
    const key = functionKey(nameHigh, nameLow, hashHigh, hashLow);
    this.keys.push(key);
    if (same === undefined) this.seen.set(nameLow, [nameHigh, hashLow, hashHigh]);
    else if (same.length < 3 * BUCKET_LIST) same.push(nameHigh, hashLow, hashHigh);
    else {
      const keys = new Set([key]);
      for (let i = 0; i < same.length; i += 3) keys.add(functionKey(same[i]!, nameLow, same[i + 2]!, same[i + 1]!));
      this.seen.set(nameLow, keys);
    }
  }

  list(): string[] {
    return [...this.keys];
  }
}

/** Functions per bucket compared number by number before the bucket becomes a Set of keys. */
const BUCKET_LIST = 16;

/** The key recorded for a function: its name hash and structural hash in hex, `name:hash`. */
function functionKey(nameHigh: number, nameLow: number, hashHigh: number, hashLow: number): string {
  return `${hex64(nameHigh, nameLow)}:${hex64(hashHigh, hashLow)}`;
}

/** A u64 in hex without leading zeros, as BigInt's toString(16) writes it. */
function hex64(high: number, low: number): string {
  return high === 0 ? low.toString(16) : `${high.toString(16)}${low.toString(16).padStart(8, '0')}`;
}

/**
 * The binary ids of the first profile of a file, from its header alone (`head`: the file's first bytes,
 * at least RAW_HEADER_PEEK of them or the whole file), or null when the header is not one this reader takes:
 * enough to tell whose file it is before reading the rest.
 */
export function peekBinaryIds(head: Buffer): string[] | null {
  try {
    if (head.length < HEADER_BYTES) return null;
    if (head.readBigUInt64LE(0) !== RAW_MAGIC_64) return null;
    if (Number(head.readBigUInt64LE(8) & VERSION_MASK) !== SUPPORTED_RAW_VERSION) return null;
    const size = head.readBigUInt64LE(16);
    if (size % 8n !== 0n || size > BigInt(head.length - HEADER_BYTES)) return null;
    return readBinaryIds(head, HEADER_BYTES, Number(size));
  } catch {
    return null;
  }
}

/** How many bytes peekBinaryIds needs at most: the header and a binary id section of a few ids. */
export const RAW_HEADER_PEEK = HEADER_BYTES + 4096;

/** Splits a raw profile file into its profiles; an empty buffer has none. Adds the functions run to `run`, if given. */
export function parseRawProfile(buf: Buffer, run?: FunctionsRun): RawProfileParse {
  const segments: RawProfileSegment[] = [];
  let offset = 0;
  try {
    while (offset < buf.length) {
      const segment = readSegment(buf, offset, run);
      segments.push(segment);
      offset += segment.length;
    }
    return { ok: true, segments };
  } catch (error) {
    if (error instanceof Malformed) return { ok: false, problem: error.problem, detail: error.message, segments };
    throw error;
  }
}
