/** The `spool_report` table: what the last pass left alone in the spool, and the squats seen (status shows both). */
import type { Db } from './database.js';

export interface SquatRecord {
  /** The directory the name is in (`<spool>/llvm`, a BOLT directory, ...). */
  dir: string;
  /** Whose name it is. */
  uid: number;
  /** Who took it. */
  by: number;
  /** Where it was moved out of the way (in its own directory), or null. */
  movedTo: string | null;
  /** Gone from the name (moved, or removed when it was a file, a symlink or an empty directory). */
  cleared: boolean;
  lastSeen: string;
}

export interface SpoolReport {
  at: string;
  /** Files of users the packages do not trust, or of builds no managed package has: not read, not taken. */
  leftAlone: { files: number; bytes: number };
  /** The squats seen in the last week (at most 20), newest first. */
  squats: SquatRecord[];
  /** Entries moved out of the way that are still there (an administrator may remove them). */
  movedAside: string[];
}

const MAX_SQUATS = 20;
/** A squat not seen again for this long is no longer reported. */
const SQUAT_MEMORY_MS = 7 * 24 * 60 * 60 * 1000;

export function readSpoolReport(db: Db): SpoolReport | null {
  const row = db.prepare('SELECT data FROM spool_report WHERE id = 1').get() as { data: string } | undefined;
  return row ? (JSON.parse(row.data) as SpoolReport) : null;
}

/** Saves this pass's report; squats seen before are kept (updated when seen again), the newest first. */
export function saveSpoolReport(db: Db, report: SpoolReport): void {
  const key = (s: SquatRecord) => `${s.dir}\0${s.uid}\0${s.by}`;
  const fresh = new Set(report.squats.map(key));
  const since = Date.parse(report.at) - SQUAT_MEMORY_MS;
  const earlier = (readSpoolReport(db)?.squats ?? []).filter(
    (s) => !fresh.has(key(s)) && Date.parse(s.lastSeen) >= since,
  );
  const data: SpoolReport = { ...report, squats: [...report.squats, ...earlier].slice(0, MAX_SQUATS) };
  db.prepare(
    'INSERT INTO spool_report (id, at, data) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at, data = excluded.data',
  ).run(report.at, JSON.stringify(data));
}
