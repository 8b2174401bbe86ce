/** The `quarantine` table: one row per thing set aside, with its reason; and the summary status shows. */
import type { QuarantineReason } from '../formats/quarantine-reason.js';
import type { Db } from './database.js';

export interface QuarantineRecord {
  reason: QuarantineReason;
  sourcePath: string;
  uid: number | null;
  package: string | null;
  detail: string;
  /** Where a copy is kept, or null (cap reached, or bytes that must not be kept). */
  keptPath: string | null;
  bytes: number;
}

export interface QuarantineSummary {
  count: number;
  bytes: number;
  byReason: Partial<Record<QuarantineReason, number>>;
  latest: {
    at: string;
    reason: QuarantineReason;
    sourcePath: string;
    package: string | null;
    keptPath: string | null;
  }[];
}

export function insertQuarantine(db: Db, q: QuarantineRecord): void {
  db.prepare(
    'INSERT INTO quarantine (at, reason, source_path, uid, package, detail, kept_path, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  ).run(new Date().toISOString(), q.reason, q.sourcePath, q.uid, q.package, q.detail, q.keptPath, q.bytes);
}

export function summarizeQuarantine(db: Db, latest = 5): QuarantineSummary {
  const rows = db
    .prepare(
      'SELECT reason, COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS bytes FROM quarantine GROUP BY reason ORDER BY reason',
    )
    .all() as { reason: QuarantineReason; n: number; bytes: number }[];
  const recent = db
    .prepare('SELECT at, reason, source_path, package, kept_path FROM quarantine ORDER BY id DESC LIMIT ?')
    .all(latest) as {
    at: string;
    reason: QuarantineReason;
    source_path: string;
    package: string | null;
    kept_path: string | null;
  }[];
  return {
    count: rows.reduce((sum, r) => sum + r.n, 0),
    bytes: rows.reduce((sum, r) => sum + r.bytes, 0),
    byReason: Object.fromEntries(rows.map((r) => [r.reason, r.n])),
    latest: recent.map((r) => ({
      at: r.at,
      reason: r.reason,
      sourcePath: r.source_path,
      package: r.package,
      keptPath: r.kept_path,
    })),
  };
}
