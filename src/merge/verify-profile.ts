/**
 * Checks a merged profile before it is committed, and a stored one before it
 * is merged into: an empty or unreadable merge must never become a generation,
 * and a broken stored one must not make every later merge fail.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseGcda } from '../formats/gcda-file.js';
import type { Toolchain } from '../formats/manifest.js';
import { checkFdataTree } from './fdata-tree.js';
import { listTreeFiles } from './gcda-tree.js';

/** The first bytes of an indexed LLVM profile ("\xfflprofi\x81"), read as a little-endian u64. */
const INDEXED_MAGIC = 0x8169666f72706cffn;

/** A problem in words, or null when the profile is whole. */
export function checkMergedProfile(toolchain: Toolchain, path: string): string | null {
  try {
    if (toolchain === 'bolt') return statSync(path).isDirectory() ? checkFdataTree(path) : `${path} is not a directory`;
    if (toolchain === 'clang') {
      const bytes = readFileSync(path);
      if (bytes.length < 16) return `${path} has ${bytes.length} bytes, not an indexed profile`;
      if (bytes.readBigUInt64LE(0) !== INDEXED_MAGIC) return `${path} is not an indexed LLVM profile`;
      return null;
    }
    if (!statSync(path).isDirectory()) return `${path} is not a directory`;
    const files = listTreeFiles(path).filter((f) => f.endsWith('.gcda'));
    if (files.length === 0) return `${path} holds no .gcda file`;
    for (const file of files) {
      const parsed = parseGcda(readFileSync(join(path, file)));
      if (!parsed.ok) return `${join(path, file)}: ${parsed.detail}`;
    }
    return null;
  } catch (error) {
    return `${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
  }
}

/** Whether a directory exists and has entries (for cleanup decisions). */
export function isNonEmptyDirectory(path: string): boolean {
  try {
    return readdirSync(path).length > 0;
  } catch {
    return false;
  }
}
