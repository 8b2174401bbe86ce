/**
 * Whether the program that writes a BOLT profile may still be writing it.
 * BOLT's runtime takes no lock: it writes `<id>.<pid>.fdata` line by line at
 * exit (or, with a dump interval, its watcher process rewrites it), so a file
 * is whole exactly when the process named by its pid is gone. A process with
 * that pid that started after the file was last written is another program
 * (the pid was reused), and a zombie has finished writing.
 */
import { readFileSync } from 'node:fs';

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

/** A running process's start (ms since the epoch) and whether it is a zombie; null when there is no such process. */
export function readProcessStart(pid: number): { startMs: number; zombie: boolean } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold anything, so fields are counted after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const startTicks = Number(fields[19]);
  if (!Number.isFinite(startTicks)) return null;
  return { startMs: readBootTimeMs() + (startTicks * 1000) / TICKS_PER_SECOND, zombie: fields[0] === 'Z' };
}

/** Pure: is the file's writer gone, given what /proc says about its pid now? */
export function isWriterGone(mtimeMs: number, process: { startMs: number; zombie: boolean } | null): boolean {
  if (process === null || process.zombie) return true;
  return process.startMs > mtimeMs + CLOCK_SLACK_MS;
}

export function fdataWriterGone(file: { mtimeMs: number; fdata?: { pid: number } }): boolean {
  return file.fdata === undefined || isWriterGone(file.mtimeMs, readProcessStart(file.fdata.pid));
}
