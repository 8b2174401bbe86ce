/**
 * Reads GCC's `.gcda` count files (GCC 12 layout: magic, version, stamp,
 * checksum, then tagged records whose length is in bytes). Used to refuse
 * broken or foreign files before they reach gcov-tool, and for metrics: runs
 * come from the object summary, which libgcov increments once per program exit.
 */

export const GCDA_MAGIC = 0x67636461; // "gcda"
const TAG_FUNCTION = 0x01000000;
const TAG_ARCS = 0x01a10000;
const TAG_OBJECT_SUMMARY = 0xa1000000;
const HEADER_BYTES = 16;

export type GcdaProblem = 'truncated' | 'format-version' | 'corrupt';

export interface GcdaFunction {
  ident: number;
  /** The checksums GCC compares with the function it compiles (0 when the record is too short to hold them). */
  linenoChecksum: number;
  cfgChecksum: number;
  arcs: bigint[];
}

export interface GcdaFile {
  /** The compiler's major version encoded in the file ("B22*" is GCC 12). */
  compilerMajor: number;
  runs: number;
  functions: GcdaFunction[];
}

export type GcdaParse = { ok: true; file: GcdaFile } | { ok: false; problem: GcdaProblem; detail: string };

/** GCC encodes its version as four characters: tens of the major as a letter from 'A', then units, minor, '*'. */
export function gcdaCompilerMajor(version: number): number {
  const first = (version >>> 24) & 0xff;
  const second = (version >>> 16) & 0xff;
  return (first - 0x41) * 10 + (second - 0x30);
}

export function parseGcda(buf: Buffer): GcdaParse {
  if (buf.length < HEADER_BYTES)
    return { ok: false, problem: 'truncated', detail: `${buf.length} bytes is shorter than a gcda header` };
  if (buf.readUInt32LE(0) !== GCDA_MAGIC)
    return { ok: false, problem: 'corrupt', detail: `bad magic 0x${buf.readUInt32LE(0).toString(16)}` };
  const compilerMajor = gcdaCompilerMajor(buf.readUInt32LE(4));
  if (!(compilerMajor >= 1 && compilerMajor < 100))
    return { ok: false, problem: 'corrupt', detail: 'unreadable version word' };
  let runs = 0;
  const functions: GcdaFunction[] = [];
  let at = HEADER_BYTES;
  while (at < buf.length) {
    // libgcov ends the file with a single zero word.
    if (at + 4 === buf.length && buf.readUInt32LE(at) === 0) break;
    if (at + 8 > buf.length) return { ok: false, problem: 'truncated', detail: `record header at ${at} is cut off` };
    const tag = buf.readUInt32LE(at);
    const length = buf.readInt32LE(at + 4);
    at += 8;
    // A negative length marks a counter record whose counters are all zero and are not stored.
    const stored = Math.max(length, 0);
    if (stored % 4 !== 0)
      return { ok: false, problem: 'corrupt', detail: `record 0x${tag.toString(16)} has length ${length}` };
    if (at + stored > buf.length)
      return { ok: false, problem: 'truncated', detail: `record 0x${tag.toString(16)} at ${at - 8} is cut off` };
    if (tag === TAG_OBJECT_SUMMARY && stored >= 4) runs = buf.readUInt32LE(at);
    else if (tag === TAG_FUNCTION && stored >= 4)
      functions.push({
        ident: buf.readUInt32LE(at),
        linenoChecksum: stored >= 12 ? buf.readUInt32LE(at + 4) : 0,
        cfgChecksum: stored >= 12 ? buf.readUInt32LE(at + 8) : 0,
        arcs: [],
      });
    else if (tag === TAG_ARCS) {
      const current = functions[functions.length - 1];
      if (!current) return { ok: false, problem: 'corrupt', detail: 'arc counters before any function' };
      const count = length < 0 ? -length / 8 : stored / 8;
      for (let c = 0; c < count; c++) {
        current.arcs.push(length < 0 ? 0n : buf.readBigUInt64LE(at + c * 8));
      }
    }
    at += stored;
  }
  return { ok: true, file: { compilerMajor, runs, functions } };
}
