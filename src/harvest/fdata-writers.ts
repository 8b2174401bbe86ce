/**
 * Whether the program that writes a BOLT profile may still be writing it.
 * BOLT's runtime takes no lock: it writes `<id>.<pid>.fdata` line by line at
 * exit (or, with a dump interval, its watcher process rewrites it), so a file
 * is whole exactly when the process named by its pid is gone. A process with
 * that pid that started after the file was last written is another program
 * (the pid was reused), a zombie has finished writing, and a process of
 * another user (`/proc/PID` belongs to its effective uid) cannot be the
 * writer of a file the file's owner created: so a name that points at pid 1
 * does not keep a file waiting forever.
 */
import { readFileSync, statSync } from 'node:fs';

/** Linux reports process start times in clock ticks of 1/100 s (USER_HZ) on every architecture nix-pgo runs on. */
const TICKS_PER_SECOND = 100;
/** The boot time is known to the second only, so a start within this much of the last write is not called later. */
const CLOCK_SLACK_MS = 2000;

let bootTimeMs: number | null = null;

function readBootTimeMs(): number {
  if (bootTimeMs === null) {
    const match = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    bootTimeMs = match ? Number(match[1]) * 1000 : 0;
  }
  return bootTimeMs;
}

export interface ProcessSeen {
  startMs: number;
  zombie: boolean;
  /** Its effective uid (the owner of /proc/PID). */
  uid: number;
}

/** A running process's start (ms since the epoch), whether it is a zombie, and its uid; null when there is no such process. */
export function readProcessStart(pid: number): ProcessSeen | null {
  let stat: string;
  let uid: number;
  try {
    uid = statSync(`/proc/${pid}`).uid;
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold anything, so fields are counted after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const startTicks = Number(fields[19]);
  if (!Number.isFinite(startTicks)) return null;
  return { startMs: readBootTimeMs() + (startTicks * 1000) / TICKS_PER_SECOND, zombie: fields[0] === 'Z', uid };
}

/** Pure: is the writer of a file owned by `ownerUid` gone, given what /proc says about its pid now? */
export function isWriterGone(mtimeMs: number, process: ProcessSeen | null, ownerUid: number): boolean {
  if (process === null || process.zombie || process.uid !== ownerUid) return true;
  return process.startMs > mtimeMs + CLOCK_SLACK_MS;
}

export function fdataWriterGone(file: { mtimeMs: number; uid: number; fdata?: { pid: number } }): boolean {
  return file.fdata === undefined || isWriterGone(file.mtimeMs, readProcessStart(file.fdata.pid), file.uid);
}
