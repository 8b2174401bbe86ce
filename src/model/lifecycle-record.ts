/**
 * A managed package's lifecycle record: where it is in its lifecycle, what is
 * active and why, its builds. src/lifecycle decides what it becomes after each
 * step; src/state keeps it.
 */
import type { LifecycleState } from './lifecycle-states.js';
import type { Variant } from './variants.js';

/** What came of one nix-build: the store path, or the error and the end of its log. */
export type BuildOutcome =
  | { ok: true; storePath: string; logFile: string }
  | { ok: false; error: string; logTail: string; logFile: string };

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
