/**
 * Slots in the state database: one row per managed package with its state and
 * active variant, and one row per transition, so `status` can say why a
 * package is where it is. Every change is one transaction.
 */
import type Database from 'better-sqlite3';
import type { SlotState } from '../lifecycle/transition.js';

export interface BuildRecord {
  variant: 'profile' | 'optimized';
  ok: boolean;
  startedAt: string;
  endedAt: string;
  storePath: string | null;
  logFile: string;
  error: string | null;
  logTail: string | null;
}

export interface SlotRow {
  name: string;
  state: SlotState;
  beforeBuild: SlotState | null;
  reason: string;
  profilingPath: string | null;
  optimizedPath: string | null;
  /** What the Nix profile holds for this package now. */
  activeVariant: 'profile' | 'optimized' | null;
  activePath: string | null;
  generation: number | null;
  /** Consecutive failed optimized builds. */
  failures: number;
  nextRetryAt: string | null;
  /** The merge generation of the profile the optimized variant was built with. */
  profileGeneration: number | null;
  profileStorePath: string | null;
  /** The latest merge generation this slot has seen (data-arrived events). */
  seenGeneration: number;
  /** Set by a rollback: stay on the active variant until `switch` or `build`. */
  held: boolean;
  /** Set by `nix-pgo build`: build now, whatever the policy says. */
  buildRequested: boolean;
  lastBuild: BuildRecord | null;
  updatedAt: string;
}

export interface SlotEventRow {
  id: number;
  name: string;
  time: string;
  event: string;
  fromState: string | null;
  toState: string;
  detail: Record<string, unknown>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS slots (
  name TEXT PRIMARY KEY,
  data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS slot_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  time TEXT NOT NULL,
  event TEXT NOT NULL,
  from_state TEXT,
  to_state TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS slot_events_by_name ON slot_events (name, id);
`;

export function newSlot(name: string, now: Date): SlotRow {
  return {
    name,
    state: 'vanilla',
    beforeBuild: null,
    reason: 'not built yet',
    profilingPath: null,
    optimizedPath: null,
    activeVariant: null,
    activePath: null,
    generation: null,
    failures: 0,
    nextRetryAt: null,
    profileGeneration: null,
    profileStorePath: null,
    seenGeneration: 0,
    held: false,
    buildRequested: false,
    lastBuild: null,
    updatedAt: now.toISOString(),
  };
}

export class SlotStore {
  private readonly db: Database.Database;

  constructor(db: Database.Database) {
    this.db = db;
    db.exec(SCHEMA);
  }

  get(name: string): SlotRow | null {
    const row = this.db.prepare('SELECT data FROM slots WHERE name = ?').get(name) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as SlotRow) : null;
  }

  all(): SlotRow[] {
    const rows = this.db.prepare('SELECT data FROM slots ORDER BY name').all() as { data: string }[];
    return rows.map((r) => JSON.parse(r.data) as SlotRow);
  }

  /** Writes the new row and the event that led to it in one transaction. */
  save(next: SlotRow, event: string, detail: Record<string, unknown> = {}): void {
    this.db.transaction(() => {
      // Read inside the transaction, so the event's from_state is the row it replaces.
      const previous = this.get(next.name);
      this.db.prepare('INSERT INTO slots (name, data) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET data = excluded.data').run(
        next.name,
        JSON.stringify(next),
      );
      this.db
        .prepare('INSERT INTO slot_events (name, time, event, from_state, to_state, detail) VALUES (?, ?, ?, ?, ?, ?)')
        .run(next.name, next.updatedAt, event, previous?.state ?? null, next.state, JSON.stringify(detail));
    })();
  }

  events(name: string, limit = 20): SlotEventRow[] {
    const rows = this.db
      .prepare('SELECT id, name, time, event, from_state, to_state, detail FROM slot_events WHERE name = ? ORDER BY id DESC LIMIT ?')
      .all(name, limit) as { id: number; name: string; time: string; event: string; from_state: string | null; to_state: string; detail: string }[];
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      time: r.time,
      event: r.event,
      fromState: r.from_state,
      toState: r.to_state,
      detail: JSON.parse(r.detail) as Record<string, unknown>,
    }));
  }
}
