/**
 * Opens one spool file for harvesting and checks it on the open descriptor
 * (never following a symlink, never blocking on a fifo): a regular file with
 * one link, owned by the uid of its user directory. All later steps (lock,
 * copy, truncate, unlock) use this one descriptor, because closing any other
 * descriptor of the file would drop the POSIX lock.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type BigIntStats } from 'node:fs';
import type { QuarantineReason } from '../formats/quarantine-reason.js';

export type OpenOutcome =
  | { ok: true; fd: number; stat: BigIntStats }
  | { ok: false; reason: QuarantineReason; detail: string }
  | { ok: false; reason: null; detail: string };

/**
 * `read`: for files nobody writes any more (BOLT profiles of finished programs), which are only read and
 * unlinked; the others are locked and truncated, which needs a descriptor open for writing.
 */
export function openSpoolFile(path: string, uid: number, access: 'read' | 'read-write' = 'read-write'): OpenOutcome {
  let fd: number;
  try {
    fd = openSync(
      path,
      (access === 'read' ? constants.O_RDONLY : constants.O_RDWR) |
        constants.O_NOFOLLOW |
        constants.O_NONBLOCK |
        constants.O_NOCTTY,
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { ok: false, reason: 'symlink', detail: 'symlink' };
    // Gone or unreadable since the scan: nothing to take this pass.
    return { ok: false, reason: null, detail: `cannot open: ${code}` };
  }
  const stat = fstatSync(fd, { bigint: true });
  const problem = statProblem(stat, uid);
  if (problem) {
    closeSync(fd);
    return { ok: false, reason: problem.reason, detail: problem.detail };
  }
  return { ok: true, fd, stat };
}

function statProblem(stat: BigIntStats, uid: number): { reason: QuarantineReason; detail: string } | null {
  if (!stat.isFile()) return { reason: 'not-regular', detail: 'not a regular file' };
  if (stat.uid !== BigInt(uid)) return { reason: 'wrong-owner', detail: `owned by uid ${stat.uid}, not ${uid}` };
  if (stat.nlink !== 1n) return { reason: 'hard-link', detail: `${stat.nlink} links` };
  return null;
}

/** Reads the whole file from offset 0 on the given descriptor. */
export function readWhole(fd: number): Buffer {
  const size = Number(fstatSync(fd).size);
  const buf = Buffer.alloc(size);
  let done = 0;
  while (done < size) {
    const n = readSync(fd, buf, done, size - done, done);
    if (n === 0) break;
    done += n;
  }
  return done === size ? buf : buf.subarray(0, done);
}

/**
 * The first `bytes` bytes of a spool file, read on a descriptor checked like openSpoolFile's, then closed
 * (no lock is held on spool files between passes, so closing drops none); null when it cannot be opened.
 */
export function readHead(path: string, uid: number, bytes: number): Buffer | null {
  const opened = openSpoolFile(path, uid, 'read');
  if (!opened.ok) return null;
  try {
    const buf = Buffer.alloc(Math.min(bytes, Number(opened.stat.size)));
    let done = 0;
    while (done < buf.length) {
      const n = readSync(opened.fd, buf, done, buf.length - done, done);
      if (n === 0) break;
      done += n;
    }
    return buf.subarray(0, done);
  } finally {
    closeSync(opened.fd);
  }
}
