/** Writing files so that a later commit can rely on them being on disk. */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';

export function writeDurable(path: string, bytes: Buffer): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes renames and creations inside a directory durable. */
export function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
