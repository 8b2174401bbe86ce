/**
 * Opens spool files for harvesting and checks each on the open descriptor
 * (never following a symlink, never blocking on a fifo): a regular file with
 * one link, owned by the uid of its user directory. All later steps (lock,
 * copy, truncate, unlock) use this one descriptor, because closing any other
 * descriptor of the file would drop the POSIX lock.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type BigIntStats } from 'node:fs';
import { getSystemErrorName } from 'node:util';
import { TAKE_STATUS, takeFiles } from '../durable/record-lock.js';
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
    if (code === 'ELOOP') return { ok: false, ...REFUSED.symlink() };
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

type Refusal = { reason: QuarantineReason; detail: string };

/** Why a spool file is refused, worded once for both ways of opening it (here and native/take_files.c). */
const REFUSED = {
  symlink: (): Refusal => ({ reason: 'symlink', detail: 'symlink' }),
  notRegular: (): Refusal => ({ reason: 'not-regular', detail: 'not a regular file' }),
  wrongOwner: (owner: bigint | number, uid: number): Refusal => ({
    reason: 'wrong-owner',
    detail: `owned by uid ${owner}, not ${uid}`,
  }),
  hardLink: (links: bigint | number): Refusal => ({ reason: 'hard-link', detail: `${links} links` }),
};

function statProblem(stat: BigIntStats, uid: number): Refusal | null {
  if (!stat.isFile()) return REFUSED.notRegular();
  if (stat.uid !== BigInt(uid)) return REFUSED.wrongOwner(stat.uid, uid);
  if (stat.nlink !== 1n) return REFUSED.hardLink(stat.nlink);
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
 * The first `bytes` bytes of each spool file, read on a descriptor checked like openSpoolFile's, then closed
 * (no lock is held on spool files between passes, so closing drops none); null when it cannot be opened. In the
 * thread pool, beside the event loop.
 */
export async function readHeads(
  files: readonly { path: string; uid: number }[],
  bytes: number,
): Promise<(Buffer | null)[]> {
  const taken = await takeFiles(files, 0, bytes);
  return taken.map((t) => (t.status === TAKE_STATUS.read ? t.bytes : null));
}

/**
 * A file opened and checked as openSpoolFile does, write-locked unless another process held the lock (`locked`
 * false: wait for it), and read whole unless it was busy or over the cap (`bytes` null; `size` tells which).
 */
export type TakenOutcome =
  | { ok: true; fd: number; dev: bigint; ino: bigint; locked: boolean; size: number; bytes: Buffer | null }
  | { ok: false; reason: QuarantineReason | null; detail: string };

/** openSpoolFile, a lock without waiting, and readWhole, for many files at once beside the event loop. */
export async function takeSpoolFiles(
  files: readonly { path: string; uid: number }[],
  maxBytes: number,
): Promise<TakenOutcome[]> {
  const taken = await takeFiles(files, maxBytes);
  return taken.map((t, i): TakenOutcome => {
    switch (t.status) {
      case TAKE_STATUS.read:
      case TAKE_STATUS.busy:
      case TAKE_STATUS.tooLarge:
        return {
          ok: true,
          fd: t.fd,
          dev: t.dev,
          ino: t.ino,
          locked: t.status !== TAKE_STATUS.busy,
          size: t.size,
          bytes: t.bytes,
        };
      case TAKE_STATUS.symlink:
        return { ok: false, ...REFUSED.symlink() };
      case TAKE_STATUS.notRegular:
        return { ok: false, ...REFUSED.notRegular() };
      case TAKE_STATUS.wrongOwner:
        return { ok: false, ...REFUSED.wrongOwner(t.aux, files[i]!.uid) };
      case TAKE_STATUS.hardLink:
        return { ok: false, ...REFUSED.hardLink(t.aux) };
      case TAKE_STATUS.failed:
        return { ok: false, reason: null, detail: `cannot lock or read: ${getSystemErrorName(-t.aux)}` };
      default:
        // Gone or unreadable since the scan: nothing to take this pass.
        return { ok: false, reason: null, detail: `cannot open: ${getSystemErrorName(-t.aux)}` };
    }
  });
}
