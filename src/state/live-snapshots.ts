/**
 * The `live_snapshots` table: per live raw profile (a program in continuous
 * collection maps it and its counters grow while it runs), the copy whose
 * counts are already merged. A new snapshot's difference to it is staged and
 * the snapshot replaced in one transaction, so a crash between the two counts
 * nothing twice and loses nothing.
 */
import type { Db } from './database.js';
import type { NewStaged } from './harvest-journal.js';
import { insertQuarantine, type QuarantineRecord } from './quarantine-records.js';

export interface LiveSnapshot {
  path: string;
  dev: string;
  ino: string;
  uid: number;
  package: string;
  bytes: Buffer;
  takenAt: string;
  /** No program held the file when this snapshot was taken (its flock was free): its counts so far are merged. */
  ended: boolean;
}

export function getLiveSnapshot(db: Db, path: string): LiveSnapshot | null {
  const r = db.prepare('SELECT * FROM live_snapshots WHERE path = ?').get(path) as
    | {
        path: string;
        dev: string;
        ino: string;
        uid: number;
        package: string;
        bytes: Buffer;
        taken_at: string;
        ended: number;
      }
    | undefined;
  return r
    ? {
        path: r.path,
        dev: r.dev,
        ino: r.ino,
        uid: r.uid,
        package: r.package,
        bytes: r.bytes,
        takenAt: r.taken_at,
        ended: r.ended === 1,
      }
    : null;
}

/** Live files per package whose programs still run, and when each was last read. */
export function summarizeLive(db: Db): Map<string, { running: number; lastSnapshot: string | null }> {
  const rows = db
    .prepare(
      "SELECT package, COUNT(*) AS n, MAX(taken_at) AS last FROM live_snapshots WHERE ended = 0 AND package != '' GROUP BY package",
    )
    .all() as {
    package: string;
    n: number;
    last: string | null;
  }[];
  return new Map(rows.map((r) => [r.package, { running: r.n, lastSnapshot: r.last }]));
}

/**
 * Stages the difference since the last snapshot (ready at once: nothing in the spool changes) with its
 * counts (bytes and files count only for a file seen first, runs once per file), and records the snapshot.
 */
export function commitLiveSnapshot(
  db: Db,
  change: {
    staged: readonly NewStaged[];
    quarantine: readonly QuarantineRecord[];
    snapshot: LiveSnapshot;
    counted: { bytes: number; files: number };
  },
): void {
  db.transaction(() => {
    const insert = db.prepare(
      'INSERT INTO staged (harvest_id, package, kind, path, rel_path, bytes, files, ready, contributor, runs, mass) VALUES (NULL, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)',
    );
    const addRuns = db.prepare(
      'INSERT INTO run_units (package, contributor, unit, runs) VALUES (?, ?, ?, ?) ON CONFLICT (package, contributor, unit) DO UPDATE SET runs = runs + excluded.runs',
    );
    for (const s of change.staged) {
      insert.run(s.package, s.kind, s.path, s.relPath, s.bytes, s.files, s.contributor, JSON.stringify(s.runs), s.mass);
      for (const [unit, runs] of Object.entries(s.runs))
        if (runs > 0) addRuns.run(s.package, s.contributor, unit, runs);
    }
    const pkg = change.snapshot.package;
    db.prepare(
      'UPDATE packages SET bytes_harvested = bytes_harvested + ?, files_harvested = files_harvested + ? WHERE name = ?',
    ).run(change.counted.bytes, change.counted.files, pkg);
    for (const q of change.quarantine) insertQuarantine(db, q);
    const s = change.snapshot;
    db.prepare(
      `INSERT INTO live_snapshots (path, dev, ino, uid, package, bytes, taken_at, ended) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (path) DO UPDATE SET dev = excluded.dev, ino = excluded.ino, uid = excluded.uid, package = excluded.package,
         bytes = excluded.bytes, taken_at = excluded.taken_at, ended = excluded.ended`,
    ).run(s.path, s.dev, s.ino, s.uid, s.package, s.bytes, s.takenAt, s.ended ? 1 : 0);
  })();
}

/** Records that a live file was read again and had not changed since its snapshot (the bytes stay as they are). */
export function touchLiveSnapshot(db: Db, path: string, takenAt: string): void {
  db.prepare('UPDATE live_snapshots SET taken_at = ? WHERE path = ?').run(takenAt, path);
}

/** The path of every live file with a snapshot. */
export function listLiveSnapshotPaths(db: Db): string[] {
  return (db.prepare('SELECT path FROM live_snapshots').all() as { path: string }[]).map((r) => r.path);
}

/** Forgets a live file that was removed (its programs gone, its last counts merged). */
export function forgetLiveSnapshot(db: Db, path: string): void {
  db.prepare('DELETE FROM live_snapshots WHERE path = ?').run(path);
}
