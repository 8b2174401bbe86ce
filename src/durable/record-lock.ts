/**
 * POSIX record locks, and the other file calls Node has no API for, through the
 * small addon in native/ (built by node-gyp on `npm ci`). Locks belong to the
 * process and vanish when the process closes ANY descriptor of the file, so
 * callers keep exactly one descriptor per file.
 */
import { closeSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ToolError } from '../errors/errors.js';
import { settleAll } from './durable-file.js';

interface RecordLockAddon {
  tryLockWrite(fd: number): boolean;
  lockWriteWait(fd: number): boolean;
  unlock(fd: number): boolean;
  lockHolder(fd: number): number;
  syncFs(fd: number): boolean;
  syncFsAsync(fd: number): Promise<void>;
  flockTryExclusive(fd: number): boolean;
  flockRelease(fd: number): boolean;
  settleUnlinked(paths: string[], fds: Int32Array, devs: BigUint64Array, inos: BigUint64Array): Promise<number[]>;
  takeFiles(paths: string[], uids: Uint32Array, maxBytes: number, peek: number): Promise<TakenChunk>;
}

interface TakenChunk {
  status: Int32Array;
  fds: Int32Array;
  devs: BigUint64Array;
  inos: BigUint64Array;
  sizes: Float64Array;
  offsets: Float64Array;
  aux: Float64Array;
  bytes: Buffer;
}

const ADDON_RELATIVE = join('build', 'Release', 'record_lock.node');

function findAddon(): string {
  // Walk up from this file because it runs both from src/ (tsc output in dist/src/) and from an installed package.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, ADDON_RELATIVE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new ToolError('TOOL_MISSING', 'record_lock.node', 'the record-lock addon is not built', {
    hints: ['run `npm ci` (or `npx node-gyp rebuild`) in the nix-pgo directory; it needs a C compiler and make'],
  });
}

let addon: RecordLockAddon | undefined;

function load(): RecordLockAddon {
  addon ??= createRequire(import.meta.url)(findAddon()) as RecordLockAddon;
  return addon;
}

/** Takes a write lock on the whole file without waiting; false when another process holds one. */
export function tryLockWrite(fd: number): boolean {
  return load().tryLockWrite(fd);
}

export function unlockFile(fd: number): void {
  load().unlock(fd);
}

/** The pid holding a lock that conflicts with a write lock, 0 when none, -1 when held by a process not visible here. */
export function lockHolder(fd: number): number {
  return load().lockHolder(fd);
}

/** Flushes the whole file system holding fd: one call per harvest batch instead of one fsync per file. */
export function syncFileSystem(fd: number): void {
  load().syncFs(fd);
}

/** syncFileSystem in the thread pool: the event loop goes on while the disk flushes. */
export function syncFileSystemAsync(fd: number): Promise<void> {
  return load().syncFsAsync(fd);
}

/** Waits for the write lock with short sleeps so the event loop stays free; false after timeoutMs. */
export async function lockWrite(fd: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  while (!tryLockWrite(fd)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 50);
  }
  return true;
}

/**
 * Takes an exclusive flock without waiting and keeps it until releaseFlock: false when another open file description
 * holds one (a live profile's programs each hold a shared one for their whole life). Independent of record locks.
 */
export function tryFlockExclusive(fd: number): boolean {
  return load().flockTryExclusive(fd);
}

export function releaseFlock(fd: number): void {
  load().flockRelease(fd);
}

/** A held raw profile to settle: its path, the one descriptor this process has, and the file it names. */
export interface HeldToSettle {
  path: string;
  fd: number;
  dev: bigint;
  ino: bigint;
}

/** libuv's thread pool has four threads unless UV_THREADPOOL_SIZE says otherwise: work split in four runs side by side. */
const CHUNKS = 4;

function splitInChunks<T>(items: readonly T[]): T[][] {
  const size = Math.max(1, Math.ceil(items.length / CHUNKS));
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/**
 * Unlinks each held raw profile (if its path still names it) and empties it (native/settle_unlinked.c), in a few
 * chunks side by side in the thread pool: the waits of a file system overlap, and a batch costs four calls, not
 * three per file. Per file: 0, or the errno of a failed emptying (the file is still open either way).
 */
export async function settleUnlinked(held: readonly HeldToSettle[]): Promise<number[]> {
  const results = await settleAll(
    splitInChunks(held).map((chunk) =>
      load().settleUnlinked(
        chunk.map((h) => h.path),
        Int32Array.from(chunk, (h) => h.fd),
        BigUint64Array.from(chunk, (h) => h.dev),
        BigUint64Array.from(chunk, (h) => h.ino),
      ),
    ),
  );
  return results.flat().map((code) => (code === 0 ? 0 : -code));
}

/** native/take_files.c's outcome codes. */
export const TAKE_STATUS = {
  read: 0,
  busy: 1,
  tooLarge: 2,
  gone: 3,
  symlink: 4,
  notRegular: 5,
  wrongOwner: 6,
  hardLink: 7,
  failed: 8,
} as const;

/**
 * One file of takeFiles: its TAKE_STATUS, its descriptor when it is kept open (read, busy, too large; else -1),
 * the file it is, its size, `aux` (an errno, the owner's uid or the link count, by status) and its bytes when read.
 */
export interface TakenFile {
  status: number;
  fd: number;
  dev: bigint;
  ino: bigint;
  size: number;
  aux: number;
  bytes: Buffer | null;
}

/**
 * Opens each file read-write (no symlink followed, no fifo waited on), checks it is a regular file with one link
 * owned by `uid`, write-locks it without waiting and reads it whole when it is at most `maxBytes`
 * (native/take_files.c): in four chunks side by side in the thread pool. With `peek`, each is opened read-only,
 * checked, its first `peek` bytes read, and closed (status read, fd -1).
 */
export async function takeFiles(
  files: readonly { path: string; uid: number }[],
  maxBytes: number,
  peek = 0,
): Promise<TakenFile[]> {
  const pending = splitInChunks(files).map(async (chunk) => {
    const taken = await load().takeFiles(
      chunk.map((f) => f.path),
      Uint32Array.from(chunk, (f) => f.uid),
      maxBytes,
      peek,
    );
    return chunk.map(
      (_, i): TakenFile => ({
        status: taken.status[i]!,
        fd: taken.fds[i]!,
        dev: taken.devs[i]!,
        ino: taken.inos[i]!,
        size: taken.sizes[i]!,
        aux: taken.aux[i]!,
        bytes:
          taken.status[i] === TAKE_STATUS.read
            ? taken.bytes.subarray(taken.offsets[i]!, taken.offsets[i]! + taken.sizes[i]!)
            : null,
      }),
    );
  });
  // Descriptors of the chunks that did finish would reach nobody if another failed: closed (and so their locks).
  const chunks = await settleAll(pending, (finished) => {
    for (const f of finished.flat()) if (f.fd >= 0) closeSync(f.fd);
  });
  return chunks.flat();
}
