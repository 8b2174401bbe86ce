/**
 * A managed package's lifecycle record: where it is in its lifecycle, what is
 * active and why, its builds. src/lifecycle decides what it becomes after each
 * step; src/state keeps it.
 */
import type { LifecycleState } from './lifecycle-states.js';
import type { ProfileMatch } from './profile-match.js';
import type { Variant } from './variants.js';

/** The derivation a variant was built from, and the package (name and version) it builds. */
export interface PackageOrigin {
  /** The variant's store derivation (`.drv`). */
  drvPath: string;
  name: string;
  version: string | null;
}

/**
 * What came of one build: the store path (the last output nix-build printed), every output and the
 * derivation it was built from; or the error and the end of its log (`interrupted`: stopped by a
 * signal, such as Ctrl-C, rather than failed).
 */
export type BuildOutcome =
  | { ok: true; storePath: string; outputs?: string[]; origin?: PackageOrigin; logFile: string }
  | { ok: false; error: string; logTail: string; logFile: string; interrupted?: boolean };

/** The derivation of a package changed under its active variant (a check noticed it). */
export interface UpgradeRecord {
  /** The derivation the active variant was built from; null when it was not recorded. */
  from: PackageOrigin | null;
  /** The derivation the Nix file gives now for the variant the carry-over builds (with the same profiles). */
  to: PackageOrigin;
  /** The variant the carry-over builds: the kind of optimized variant that was active. */
  variant: 'optimized' | 'bolt-optimized';
  noticedAt: string;
}

/** How much of the active optimized variant's profile its derivation uses, measured on its instrumented twin. */
export interface MatchRecord {
  /** The optimized variant and the profile it was measured for. */
  optimizedPath: string;
  profileStorePath: string;
  measuredAt: string;
  /** The numbers; null when they could not be measured (then `unmeasured` says why). */
  result: ProfileMatch | null;
  unmeasured: string | null;
}

/** A refresh window: fresh data of the new derivation, to be combined with the profile carried over. */
export interface RefreshRecord {
  /** The profile the carry-over build used; combined with the fresh data once the window ends. */
  carried: { storePath: string; generation: number };
  /** The optimized variant active before the window, put back if the window ends without data. */
  optimizedPath: string;
  startedAt: string;
}

/** One step in the story of a package's profiles and versions, for `status`. */
export interface HistoryEntry {
  at: string;
  /** trained, upgraded, carried-over, measured, refresh-started, refreshed, refresh-ended, reset. */
  event: string;
  /** The package (name and version) and derivation the step concerns, when known. */
  name: string | null;
  version: string | null;
  drvPath: string | null;
  /** The profile in use after the step, and the share of its counts the build uses, when measured. */
  profileStorePath: string | null;
  share: number | null;
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
  /** Asked for with `nix-pgo build`: an interrupted build is asked for again. */
  requested?: boolean;
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
  /** The derivation each variant recorded above was built from (absent: built before it was recorded). */
  origins?: Partial<Record<Variant, PackageOrigin>>;
  /** The instrumented build whose runs the optimized variant's profile came from. */
  profileSource?: PackageOrigin | null;
  /** When the Nix file's derivations were last compared with the active variant's, and what went wrong if it failed. */
  checkedAt?: string | null;
  checkError?: string | null;
  /** Set by `nix-pgo check` and a reload of the config: compare at the next tick. */
  checkRequested?: boolean;
  /** The derivation changed under the active optimized variant: what the carry-over builds. */
  upgrade?: UpgradeRecord | null;
  /** How much of the active optimized variant's profile applies to its derivation. */
  match?: MatchRecord | null;
  /** Set after a carry-over or a refresh: measure the match at the next tick. */
  measureRequested?: boolean;
  /** While refreshing: the window and the profile carried over. */
  refresh?: RefreshRecord | null;
  /** The optimized variant the last refresh was started for: never a second one for it. */
  refreshedFor?: string | null;
  /** Set by `nix-pgo reset`: the next tick starts the package's cycle over. */
  resetRequested?: boolean;
  /** Each profile and version the package went through, oldest first (the last HISTORY_LENGTH). */
  history?: HistoryEntry[];
  updatedAt: string;
}

/** How many history entries a record keeps. */
export const HISTORY_LENGTH = 30;

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
