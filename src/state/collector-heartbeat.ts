/**
 * The `collector_heartbeat` row: which process collects in this state
 * directory (the daemon, or a command such as `nix-pgo harvest`), since when,
 * its last pass, and when it stopped cleanly. With the collector lock (held
 * while it runs), `status` tells a running daemon from one that stopped, and
 * from one that died, and since when.
 */
import type { Db } from './database.js';

export interface CollectorHeartbeat {
  pid: number;
  startedAt: string;
  /** The end of its last pass; null before the first. */
  lastPassAt: string | null;
  /** Set when it stopped cleanly; null while it runs, or when it died (killed, crashed, the machine lost power). */
  stoppedAt: string | null;
}

export function recordCollectorStart(db: Db, pid: number, at: Date): void {
  db.prepare(
    `INSERT INTO collector_heartbeat (id, pid, started_at, last_pass_at, stopped_at) VALUES (1, ?, ?, NULL, NULL)
     ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, started_at = excluded.started_at, last_pass_at = NULL, stopped_at = NULL`,
  ).run(pid, at.toISOString());
}

export function recordCollectorPass(db: Db, pid: number, at: Date): void {
  db.prepare('UPDATE collector_heartbeat SET last_pass_at = ? WHERE id = 1 AND pid = ?').run(at.toISOString(), pid);
}

export function recordCollectorStop(db: Db, pid: number, at: Date): void {
  db.prepare('UPDATE collector_heartbeat SET stopped_at = ? WHERE id = 1 AND pid = ?').run(at.toISOString(), pid);
}

export function getCollectorHeartbeat(db: Db): CollectorHeartbeat | null {
  const r = db.prepare('SELECT * FROM collector_heartbeat WHERE id = 1').get() as
    | { pid: number; started_at: string; last_pass_at: string | null; stopped_at: string | null }
    | undefined;
  return r ? { pid: r.pid, startedAt: r.started_at, lastPassAt: r.last_pass_at, stoppedAt: r.stopped_at } : null;
}
