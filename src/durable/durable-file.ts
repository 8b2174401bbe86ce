/**
 * Writing files so that a later commit (a journal row, a rename, a lock-file
 * entry) can rely on them being on disk. Every fsync in nix-pgo goes through here.
 */
import { closeSync, fsyncSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
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

/** Flushes a file or a directory (renames and creations inside it) to disk. */
export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
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
