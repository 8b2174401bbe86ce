/**
 * Writing files so that a later commit (a journal row, a rename, a lock-file
 * entry) can rely on them being on disk. Every fsync in nix-pgo goes through here.
 */
import { closeSync, fsyncSync, ftruncate, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { type FileHandle, open, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { basename, dirname, join } from 'node:path';

function writeAll(fd: number, bytes: Buffer): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** Creates `path` (it must not exist) with `bytes`, flushed to disk. */
export function writeDurable(path: string, bytes: Buffer): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeAll(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const ftruncateAsync = promisify(ftruncate);

/**
 * Runs one file operation per item side by side in libuv's thread pool: a file system overlaps their waits
 * (ext4 joins them in one journal transaction), where one after another each waits alone. Waits for every
 * one before rethrowing the first failure, so no caller closes a descriptor an operation still uses.
 */
export async function eachFileSideBySide<T>(items: readonly T[], operation: (item: T) => Promise<void>): Promise<void> {
  await settleAll(items.map(operation));
}

/**
 * Every promise's value, once all have settled; else the first failure, thrown only when none is still running
 * (so no caller closes a descriptor an operation still uses), after `cleanUp` got the values of those that succeeded.
 */
export async function settleAll<T>(
  pending: readonly Promise<T>[],
  cleanUp: (succeeded: T[]) => void = () => {},
): Promise<T[]> {
  const results = await Promise.allSettled(pending);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  const values = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  if (failed) {
    cleanUp(values);
    throw failed.reason;
  }
  return values;
}

/**
 * Creates every `path` (none may exist, all in `dir`) with its `bytes`, then flushes them and `dir` (their
 * names) to disk side by side: one wait for the disk where a file at a time and then the directory are several.
 */
export async function writeDurableAll(
  dir: string,
  files: readonly { path: string; bytes: Buffer | readonly Buffer[] }[],
): Promise<void> {
  if (files.length === 0) return;
  const handles: FileHandle[] = [];
  try {
    await eachFileSideBySide(files, async ({ path, bytes }) => {
      const file = await open(path, 'wx', 0o600);
      handles.push(file);
      // Several buffers go out as one file without being copied into one first.
      if (Buffer.isBuffer(bytes)) await file.writeFile(bytes);
      else await writeAllChunks(file, bytes);
    });
    handles.push(await open(dir, 'r'));
    await eachFileSideBySide(handles, (file) => file.sync());
  } finally {
    await Promise.allSettled(handles.map((file) => file.close()));
  }
}

async function writeAllChunks(file: FileHandle, chunks: readonly Buffer[]): Promise<void> {
  // writev takes at most IOV_MAX (1024) buffers at a time and may write fewer bytes than asked.
  let pending = chunks.filter((c) => c.length > 0);
  while (pending.length > 0) {
    const batch = pending.slice(0, 1024);
    let { bytesWritten } = await file.writev(batch);
    const rest = pending.slice(batch.length);
    const left: Buffer[] = [];
    for (const chunk of batch) {
      if (bytesWritten >= chunk.length) bytesWritten -= chunk.length;
      else {
        left.push(chunk.subarray(bytesWritten));
        bytesWritten = 0;
      }
    }
    pending = [...left, ...rest];
  }
}

/** Empties the file open as `fd` (freeing its blocks is what takes the time). */
export function truncateToZero(fd: number): Promise<void> {
  return ftruncateAsync(fd, 0);
}

/** Removes files, side by side; a missing one is not an error. */
export function removeFiles(paths: readonly string[]): Promise<void> {
  return eachFileSideBySide(paths, (path) => rm(path, { force: true, recursive: true }));
}

/** Flushes a file or a directory (renames and creations inside it) to disk. */
export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsyncPath in the thread pool. */
export async function fsyncPathAsync(path: string): Promise<void> {
  const file = await open(path, 'r');
  try {
    await file.sync();
  } finally {
    await file.close();
  }
}

/** Replaces `path` so that readers see the old or the new content, never a part of it. */
export function writeFileAtomic(path: string, data: string | Buffer, mode = 0o644): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', mode);
  try {
    writeAll(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  // The rename itself must reach the disk before we report success.
  fsyncPath(dirname(path));
}

/**
 * Copies what descriptor `from` holds, from offset 0, into a new file `path` (which must not exist), a chunk
 * at a time so memory does not grow with the file; each chunk is shown to `onChunk` first. Flushed to disk;
 * returns the bytes copied.
 */
export function copyDurable(
  from: number,
  path: string,
  onChunk: (chunk: Buffer) => void,
  chunkBytes = 1 << 20,
): number {
  const buf = Buffer.allocUnsafe(chunkBytes);
  const fd = openSync(path, 'wx', 0o600);
  let total = 0;
  try {
    for (;;) {
      const n = readSync(from, buf, 0, chunkBytes, total);
      if (n === 0) break;
      const chunk = buf.subarray(0, n);
      onChunk(chunk);
      writeAll(fd, chunk);
      total += n;
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return total;
}
