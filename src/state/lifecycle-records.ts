/**
 * The `lifecycle` table: one record per managed package saying where it is in
 * its lifecycle (see docs/architecture.md), what is active and why; and
 * `lifecycle_events`, one row per step, so `status` can say how it got there.
 * Every change is one transaction.
 */
import type { Db } from './database.js';

export const LIFECYCLE_STATES = [
  'vanilla',
  'profiling',
  'collecting',
  'ready',
  'building',
  'optimized',
  'bolt-profiling',
  'bolt-ready',
  'bolt-optimized',
] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

/** The PGO stage's two variants, then BOLT's (both built on the PGO-optimized one). */
export type Variant = 'profile' | 'optimized' | 'bolt-profile' | 'bolt-optimized';

/** The stage a variant, an action or a build belongs to. */
export type Stage = 'pgo' | 'bolt';

export function stageOf(variant: Variant): Stage {
  return variant === 'bolt-profile' || variant === 'bolt-optimized' ? 'bolt' : 'pgo';
}

/** States in which a BOLT variant is active (or, while building, was). */
export const BOLT_STATES: ReadonlySet<LifecycleState> = new Set(['bolt-profiling', 'bolt-ready', 'bolt-optimized']);

/** The collector's name for a package's BOLT data: `#` cannot be in a configured name, so it never names a package. */
export function boltDataName(name: string): string {
  return `${name}#bolt`;
}

export interface BuildRecord {
  variant: Variant;
  ok: boolean;
  startedAt: string;
  endedAt: string;
  storePath: string | null;
  logFile: string;
  error: string | null;
  logTail: string | null;
}

/** A build that is running (or was, when its process died). */
export interface ActiveBuild {
  variant: Variant;
  startedAt: string;
  logFile: string;
}

export interface LifecycleRecord {
  name: string;
  state: LifecycleState;
  /** While building: the state a failed build returns to (the variant still active). */
  beforeBuild: LifecycleState | null;
  /** Why the package is where it is, in words `status` shows. */
  reason: string;
  profilingPath: string | null;
  optimizedPath: string | null;
  /** What the Nix profile holds for this package now. */
  activeVariant: Variant | null;
  activePath: string | null;
  /** The Nix profile generation that made it active. */
  generation: number | null;
  /** Consecutive failed builds. */
  failures: number;
  nextRetryAt: string | null;
  /** The merge generation of the profile the optimized variant was built with. */
  profileGeneration: number | null;
  profileStorePath: string | null;
  /** The latest merge generation this package has seen (data-arrived steps). */
  seenGeneration: number;
  /** Set by a rollback or a switch back: stay on the active variant until `switch` or `build`. */
  held: boolean;
  /** Set by `nix-pgo build`: build now, whatever the policy says. */
  buildRequested: boolean;
  lastBuild: BuildRecord | null;
  /** The build running now (absent in records written before it existed). */
  activeBuild?: ActiveBuild | null;
  /** BOLT (absent in records written before BOLT): the BOLT-instrumented and BOLT-optimized variants. */
  boltProfilingPath?: string | null;
  boltOptimizedPath?: string | null;
  /** The merge generation of the BOLT data the BOLT-optimized variant was built with, and its store path. */
  boltProfileGeneration?: number | null;
  boltProfileStorePath?: string | null;
  /** The latest merge generation of BOLT data this package has seen. */
  boltSeenGeneration?: number;
  updatedAt: string;
}

/** The record of a package nix-pgo has not built anything for yet. */
export function newLifecycleRecord(name: string, now: Date): LifecycleRecord {
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
    activeBuild: null,
    updatedAt: now.toISOString(),
  };
}

export function getLifecycle(db: Db, name: string): LifecycleRecord | null {
  const row = db.prepare('SELECT data FROM lifecycle WHERE name = ?').get(name) as { data: string } | undefined;
  return row ? (JSON.parse(row.data) as LifecycleRecord) : null;
}

export function listLifecycles(db: Db): LifecycleRecord[] {
  const rows = db.prepare('SELECT data FROM lifecycle ORDER BY name').all() as { data: string }[];
  return rows.map((r) => JSON.parse(r.data) as LifecycleRecord);
}

/** Writes the new record and the step that led to it in one transaction. */
export function saveLifecycle(
  db: Db,
  next: LifecycleRecord,
  event: string,
  detail: Record<string, unknown> = {},
): void {
  db.transaction(() => {
    // Read inside the transaction, so the event's from_state is the record it replaces.
    const previous = getLifecycle(db, next.name);
    db.prepare(
      'INSERT INTO lifecycle (name, data) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET data = excluded.data',
    ).run(next.name, JSON.stringify(next));
    db.prepare(
      'INSERT INTO lifecycle_events (name, time, event, from_state, to_state, detail) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(next.name, next.updatedAt, event, previous?.state ?? null, next.state, JSON.stringify(detail));
  })();
}
