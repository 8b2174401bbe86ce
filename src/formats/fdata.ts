/**
 * BOLT's profile text (`.fdata`), as an instrumented binary writes it at exit:
 * one branch per line, `FROM_KIND FROM_SYM FROM_OFF TO_KIND TO_SYM TO_OFF
 * MISPREDICTS COUNT` (offsets in hex, kinds a digit, the last two decimal).
 * Parsed into counts per branch, summed, scaled and written back in one
 * canonical order (pure). The format is additive: the profile of N runs is
 * the line-wise sum of their files, which is what `merge-fdata` computes too.
 */

export type FdataProblem = 'truncated' | 'corrupt';

/** Counts of one branch: the key is the first six fields as written. */
export interface FdataCounts {
  mispredicts: bigint;
  count: bigint;
}

export type FdataProfile = Map<string, FdataCounts>;

export type FdataParse =
  | { ok: true; profile: FdataProfile; mass: number }
  | { ok: false; problem: FdataProblem; detail: string };

const KIND = /^[0-9]$/;
const OFFSET = /^[0-9a-f]+$/;
const DECIMAL = /^[0-9]{1,19}$/;
/** Symbol names never contain blanks or control characters; anything else in them is a broken file. */
const SYMBOL = /^[\x21-\x7e\x80-\xff]+$/;

/** The largest count a BOLT profile may hold: llvm-bolt reads counts as int64. */
const MAX_COUNT = (1n << 63n) - 1n;

/**
 * Parses and checks a whole file. A file a killed program left half written
 * ends inside a line (no final newline) and is refused as truncated; a line
 * that is not eight well-formed fields is refused as corrupt.
 */
export function parseFdata(bytes: Buffer): FdataParse {
  const reader = new FdataReader(true);
  reader.feed(bytes);
  return reader.end() as FdataParse;
}

/** One line's branch and counts, or what is wrong with it. */
function parseLine(line: string): ({ key: string } & FdataCounts) | string {
  const fields = line.split(' ');
  const problem = lineProblem(fields);
  if (problem !== null) return problem;
  const mispredicts = BigInt(fields[6]!);
  const count = BigInt(fields[7]!);
  if (mispredicts > MAX_COUNT || count > MAX_COUNT) return 'a count above the int64 range';
  return { key: fields.slice(0, 6).join(' '), mispredicts, count };
}

function lineProblem(fields: readonly string[]): string | null {
  if (fields.length !== 8) return `${fields.length} fields, not 8`;
  const [fromKind, fromSym, fromOff, toKind, toSym, toOff, mispredicts, count] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!KIND.test(fromKind) || !KIND.test(toKind)) return 'a location kind is not a digit';
  if (!SYMBOL.test(fromSym) || !SYMBOL.test(toSym)) return 'a symbol name is empty or holds control characters';
  if (!OFFSET.test(fromOff) || !OFFSET.test(toOff)) return 'an offset is not hexadecimal';
  if (!DECIMAL.test(mispredicts) || !DECIMAL.test(count)) return 'a count is not a decimal number';
  return null;
}

/** A line longer than this is not one BOLT wrote (a symbol name of a megabyte). */
const MAX_LINE = 1 << 20;

/**
 * Reads a profile fed in chunks, as parseFdata does, keeping only the line being read and (when `collect`)
 * one entry per distinct branch: memory grows with the branches, not with the file. `end()` gives the mass
 * (the sum of the counts), the profile when collected, or the problem.
 */
export class FdataReader {
  private carry = '';
  private line = 0;
  private mass = 0;
  private bytes = 0;
  private last = -1;
  private problem: { problem: FdataProblem; detail: string } | null = null;
  private readonly profile: FdataProfile = new Map();

  constructor(private readonly collect = false) {}

  feed(chunk: Buffer): void {
    if (this.problem !== null || chunk.length === 0) return;
    this.bytes += chunk.length;
    this.last = chunk[chunk.length - 1]!;
    const lines = (this.carry + chunk.toString('latin1')).split('\n');
    this.carry = lines.pop()!;
    if (this.carry.length > MAX_LINE) {
      this.problem = { problem: 'corrupt', detail: `line ${this.line + 1}: longer than ${MAX_LINE} bytes` };
      return;
    }
    for (const line of lines) {
      this.line++;
      const parsed = parseLine(line);
      if (typeof parsed === 'string') {
        this.problem = { problem: 'corrupt', detail: `line ${this.line}: ${parsed}` };
        return;
      }
      this.mass += Number(parsed.count);
      if (!this.collect) continue;
      const seen = this.profile.get(parsed.key);
      this.profile.set(
        parsed.key,
        seen
          ? { mispredicts: seen.mispredicts + parsed.mispredicts, count: seen.count + parsed.count }
          : { mispredicts: parsed.mispredicts, count: parsed.count },
      );
    }
  }

  end(): { ok: true; mass: number; profile: FdataProfile } | { ok: false; problem: FdataProblem; detail: string } {
    if (this.problem !== null) return { ok: false, ...this.problem };
    if (this.bytes === 0)
      return { ok: false, problem: 'truncated', detail: 'empty: its program was stopped while writing it' };
    if (this.last !== 0x0a)
      return {
        ok: false,
        problem: 'truncated',
        detail: 'ends inside a line: its program was stopped while writing it',
      };
    return { ok: true, mass: this.mass, profile: this.profile };
  }
}

/** Adds `more` into `into` (both keyed by branch). */
export function addFdata(into: FdataProfile, more: FdataProfile): FdataProfile {
  for (const [key, counts] of more) {
    const seen = into.get(key);
    into.set(
      key,
      seen ? { mispredicts: seen.mispredicts + counts.mispredicts, count: seen.count + counts.count } : { ...counts },
    );
  }
  return into;
}

/** Every count times `factor` in (0, 1], rounded to the nearest whole number; branches that round to nothing go. */
export function scaleFdata(profile: FdataProfile, factor: number): FdataProfile {
  if (!(factor > 0 && factor <= 1)) throw new RangeError(`scale factor must be in (0, 1], not ${factor}`);
  if (factor === 1) return new Map(profile);
  const scale = (value: bigint) => BigInt(Math.round(Number(value) * factor));
  const out: FdataProfile = new Map();
  for (const [key, counts] of profile) {
    const scaled = { mispredicts: scale(counts.mispredicts), count: scale(counts.count) };
    if (scaled.count > 0n || scaled.mispredicts > 0n) out.set(key, scaled);
  }
  return out;
}

/** The sum of all branch counts. */
export function fdataMass(profile: FdataProfile): number {
  let mass = 0;
  for (const counts of profile.values()) mass += Number(counts.count);
  return mass;
}

/**
 * The file text in one canonical order (lines sorted bytewise), so the same
 * counts always give the same bytes and the same store path.
 */
export function renderFdata(profile: FdataProfile): Buffer {
  const lines = [...profile].map(([key, counts]) => `${key} ${counts.mispredicts} ${counts.count}`);
  // Latin-1 maps each byte to one UTF-16 unit, so comparing the strings compares the bytes.
  lines.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(lines.length === 0 ? '' : `${lines.join('\n')}\n`, 'latin1');
}

/** `<build id>.<pid>.fdata`: what an instrumented file of a nix-pgo BOLT build writes. */
const FDATA_NAME = /^([0-9a-f]{16,128})\.([1-9][0-9]{0,9})\.fdata$/;

export function parseFdataName(name: string): { buildId: string; pid: number } | null {
  const match = FDATA_NAME.exec(name);
  return match ? { buildId: match[1]!, pid: Number(match[2]) } : null;
}
