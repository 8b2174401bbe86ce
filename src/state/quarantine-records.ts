/** Reading the quarantine table for status: how many files, why, the newest ones. */
import type { Db } from './database.js';

export interface QuarantineSummary {
  count: number;
  bytes: number;
  byReason: Record<string, number>;
  latest: { at: string; reason: string; sourcePath: string; package: string | null; keptPath: string | null }[];
}

export function summarizeQuarantine(db: Db, latest = 5): QuarantineSummary {
  const rows = db.prepare('SELECT reason, COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS bytes FROM quarantine GROUP BY reason ORDER BY reason').all() as { reason: string; n: number; bytes: number }[];
  const recent = db
    .prepare('SELECT at, reason, source_path, package, kept_path FROM quarantine ORDER BY id DESC LIMIT ?')
    .all(latest) as { at: string; reason: string; source_path: string; package: string | null; kept_path: string | null }[];
  return {
    count: rows.reduce((sum, r) => sum + r.n, 0),
    bytes: rows.reduce((sum, r) => sum + r.bytes, 0),
    byReason: Object.fromEntries(rows.map((r) => [r.reason, r.n])),
    latest: recent.map((r) => ({ at: r.at, reason: r.reason, sourcePath: r.source_path, package: r.package, keptPath: r.kept_path })),
  };
}
