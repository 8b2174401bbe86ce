/**
 * Whether the daemon runs in a state directory: the collector lock
 * (`engine.lock`, a POSIX record lock the running daemon holds; F_GETLK names
 * its pid) says whether one runs now, and the heartbeat row in the state
 * database says since when, or since when not. Never call this in a process
 * that holds the collector lock itself: closing its descriptor would drop it.
 */
import { closeSync, constants, openSync } from 'node:fs';
import { lockHolder } from '../durable/record-lock.js';
import type { CollectorHeartbeat } from '../state/collector-heartbeat.js';

export type DaemonState =
  /** The process that holds the collector lock is the one the heartbeat names. */
  | 'running'
  /** Another process holds the lock (a nix-pgo command from before this state's heartbeat, or a foreign one). */
  | 'locked'
  /** Nobody holds the lock; the last collector stopped cleanly at `since`. */
  | 'stopped'
  /** Nobody holds the lock, and the last collector did not stop cleanly: killed, crashed, or the machine went down. */
  | 'died'
  /** Nobody holds the lock and no collector ever ran here. */
  | 'never'
  /** The lock could not be read (`detail` says why). */
  | 'unknown';

export interface DaemonStatus {
  state: DaemonState;
  /** The pid that holds the collector lock (null when none, or not visible from here). */
  pid: number | null;
  /** running: when it started; stopped: when it stopped; died: its last sign of life (its last pass, else its start). */
  since: string | null;
  /** The end of its last pass. */
  lastPassAt: string | null;
  detail: string | null;
}

/** What the lock says: who holds it (0: nobody, -1: a process not visible here), or why it could not be read. */
export type LockProbe = { holder: number } | { error: string };

/** The collector lock's holder, read without taking it; a lock file that does not exist is held by nobody. */
export function probeCollectorLock(lockPath: string): LockProbe {
  let fd: number;
  try {
    fd = openSync(lockPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { holder: 0 } : { error: `${lockPath}: ${code ?? (error as Error).message}` };
  }
  try {
    return { holder: lockHolder(fd) };
  } catch (error) {
    return { error: `${lockPath}: ${(error as Error).message}` };
  } finally {
    closeSync(fd);
  }
}

/** The daemon's state from the lock and the heartbeat (pure). */
export function judgeDaemon(lock: LockProbe, heartbeat: CollectorHeartbeat | null): DaemonStatus {
  const lastPassAt = heartbeat?.lastPassAt ?? null;
  if ('error' in lock) return { state: 'unknown', pid: null, since: null, lastPassAt, detail: lock.error };
  const pid = lock.holder > 0 ? lock.holder : null;
  if (lock.holder !== 0) {
    const ours = heartbeat !== null && heartbeat.stoppedAt === null && (pid === null || pid === heartbeat.pid);
    return ours
      ? { state: 'running', pid: pid ?? heartbeat.pid, since: heartbeat.startedAt, lastPassAt, detail: null }
      : { state: 'locked', pid, since: null, lastPassAt, detail: null };
  }
  if (heartbeat === null) return { state: 'never', pid: null, since: null, lastPassAt, detail: null };
  if (heartbeat.stoppedAt !== null)
    return { state: 'stopped', pid: null, since: heartbeat.stoppedAt, lastPassAt, detail: null };
  return { state: 'died', pid: null, since: lastPassAt ?? heartbeat.startedAt, lastPassAt, detail: null };
}
