/**
 * The keys under which a compiler looks a function up in a profile, read from
 * an instrumented (profiling) build's ELF files: what the optimized build of
 * the same derivation will look for. A profile record whose key is among them
 * applies; any other is discarded by the compiler (a "hash mismatch" or
 * "coverage mismatch"). Reading them needs no run and no compiler warning.
 *
 * - LLVM (clang IR PGO, raw format version 8 as LLVM 15 and 16 write it):
 *   each `__llvm_prf_data` record starts with the MD5 of the function's PGO
 *   name and its control-flow hash; the key is `<name MD5>:<hash>` in hex, as
 *   raw-profile.ts names the functions that ran.
 * - GCC (12): every object's `struct gcov_info` in the data, found by its
 *   version word, lists its functions with ident, line-number checksum and CFG
 *   checksum; the key is `<gcda path relative to the build's gcdaDir>:<ident>:
 *   <line checksum>:<cfg checksum>`.
 */
import { createHash } from 'node:crypto';
import { gcdaCompilerMajor } from './gcda-file.js';
import { readAt, readCString, readPointer, sectionBytes, type ElfImage } from './elf.js';

/** NameRef, FuncHash, CounterPtr, FunctionPointer, Values (8 bytes each), NumCounters (4), NumValueSites (2 × 2). */
const LLVM_DATA_RECORD_BYTES = 48;

/** The key of a function of an LLVM profile: the low 64 bits (little-endian) of the MD5 of its PGO name, and its hash. */
export function llvmFunctionKey(name: string, hash: bigint): string {
  const md5 = createHash('md5').update(name, 'utf8').digest();
  return `${md5.readBigUInt64LE(0).toString(16)}:${hash.toString(16)}`;
}

/** The keys of every instrumented function of one ELF file; null when it has no profile data of the known layout. */
export function listLlvmBuildKeys(image: ElfImage): string[] | null {
  const data = sectionBytes(image, '__llvm_prf_data');
  if (data === null || data.length === 0 || data.length % LLVM_DATA_RECORD_BYTES !== 0) return null;
  const keys: string[] = [];
  for (let at = 0; at < data.length; at += LLVM_DATA_RECORD_BYTES) {
    const counters = data.readUInt32LE(at + 40);
    if (counters === 0 || counters > 1 << 24) return null;
    keys.push(`${data.readBigUInt64LE(at).toString(16)}:${data.readBigUInt64LE(at + 8).toString(16)}`);
  }
  return keys;
}

/** GCC 12's GCOV_COUNTERS: the merge functions each gcov_info lists (arcs, the value profiles, time profile). */
const GCOV_COUNTERS = 8;
const INFO_FILENAME = 24;
const INFO_N_FUNCTIONS = 32 + 8 * GCOV_COUNTERS;
const INFO_FUNCTIONS = INFO_N_FUNCTIONS + 8;

/** A gcov version word: a major from 'A0' up, a minor digit, then '*' ("B22*" is GCC 12.2). */
function isGcovVersion(word: number): boolean {
  const major = gcdaCompilerMajor(word);
  return (word & 0xff) === 0x2a && major >= 3 && major < 100 && ((word >>> 8) & 0xff) >= 0x30;
}

/**
 * The keys of every instrumented function of one ELF file built by GCC with
 * `-fprofile-generate=<gcdaDir>/...`; null when it holds no gcov_info of the
 * known layout.
 */
export function listGcovBuildKeys(image: ElfImage, gcdaDir: string): string[] | null {
  const prefix = `${gcdaDir.replace(/\/{2,}/g, '/').replace(/\/+$/, '')}/`;
  const keys: string[] = [];
  let found = false;
  for (const section of image.sections) {
    if (section.noBits || section.address === 0n || !section.name.startsWith('.data')) continue;
    for (let offset = 0; offset + INFO_FUNCTIONS + 8 <= section.size; offset += 8) {
      if (!isGcovVersion(image.bytes.readUInt32LE(section.offset + offset))) continue;
      const info = section.address + BigInt(offset);
      const unit = readGcovInfo(image, info, prefix);
      if (unit === null) continue;
      found = true;
      keys.push(...unit);
    }
  }
  return found ? keys : null;
}

function readGcovInfo(image: ElfImage, info: bigint, prefix: string): string[] | null {
  const filenamePointer = readPointer(image, info + BigInt(INFO_FILENAME));
  // GCC joins the directory and an absolute object path with a doubled slash; the files on disk have one.
  const filename =
    filenamePointer === null ? null : (readCString(image, filenamePointer)?.replace(/\/{2,}/g, '/') ?? null);
  if (filename === null || !filename.endsWith('.gcda') || !filename.startsWith(prefix)) return null;
  const count = readAt(image, info + BigInt(INFO_N_FUNCTIONS), 4)?.readUInt32LE(0);
  const functions = readPointer(image, info + BigInt(INFO_FUNCTIONS));
  if (count === undefined || count > 1 << 20 || functions === null) return null;
  const rel = filename.slice(prefix.length);
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const fn = readPointer(image, functions + BigInt(8 * i));
    // A null entry is a function the linker dropped (a COMDAT kept from another object).
    if (fn === 0n) continue;
    const fields = fn === null ? null : readAt(image, fn + 8n, 12);
    if (fields === null) return null;
    keys.push(`${rel}:${fields.readUInt32LE(0)}:${fields.readUInt32LE(4)}:${fields.readUInt32LE(8)}`);
  }
  return keys;
}
