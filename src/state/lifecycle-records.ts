/**
 * The `lifecycle` table: one record per managed package saying where it is in
 * its lifecycle (see docs/architecture.md), what is active and why; and
 * `lifecycle_events`, one row per step, so `status` can say how it got there.
 * Every change is one transaction that reads the record it replaces.
 */
import type { LifecycleRecord } from '../model/lifecycle-record.js';
import type { Db } from './database.js';

// The type of what this table keeps, for code that only reads it (the benchmarks name it here).
export type { LifecycleRecord } from '../model/lifecycle-record.js';

/** One step of a package's lifecycle: the record it leads to, and the event that records why. */
export interface LifecycleStep {
  record: LifecycleRecord;
  event: string;
  detail?: Record<string, unknown>;
}

export function getLifecycle(db: Db, name: string): LifecycleRecord | null {
  const row = db.prepare('SELECT data FROM lifecycle WHERE name = ?').get(name) as { data: string } | undefined;
  return row ? (JSON.parse(row.data) as LifecycleRecord) : null;
}

export function listLifecycles(db: Db): LifecycleRecord[] {
  const rows = db.prepare('SELECT data FROM lifecycle ORDER BY name').all() as { data: string }[];
  return rows.map((r) => JSON.parse(r.data) as LifecycleRecord);
}

/**
 * Reads a package's record, computes the next one from it and saves it with
 * its event, in one transaction: a step is computed from the record it
 * replaces, so what another process (a user's `nix-pgo switch`) wrote
 * meanwhile is never overwritten by an older copy. `step` returning null saves
 * nothing. Returns the record as stored afterwards.
 */
export function updateLifecycle(
  db: Db,
  name: string,
  step: (current: LifecycleRecord | null) => LifecycleStep | null,
): LifecycleRecord | null {
  // Immediate: the write lock is taken before the read, so no other writer slips in between.
  return db
    .transaction(() => {
      const current = getLifecycle(db, name);
      const next = step(current);
      if (next === null) return current;
      db.prepare(
        'INSERT INTO lifecycle (name, data) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET data = excluded.data',
      ).run(name, JSON.stringify(next.record));
      db.prepare(
        'INSERT INTO lifecycle_events (name, time, event, from_state, to_state, detail) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(
        name,
        next.record.updatedAt,
        next.event,
        current?.state ?? null,
        next.record.state,
        JSON.stringify(next.detail ?? {}),
      );
      return next.record;
    })
    .immediate();
}

/** Writes a record as it is, with the step that led to it. */
export function saveLifecycle(
  db: Db,
  next: LifecycleRecord,
  event: string,
  detail: Record<string, unknown> = {},
): void {
  updateLifecycle(db, next.name, () => ({ record: next, event, detail }));
}
