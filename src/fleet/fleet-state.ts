/**
 * What a machine remembers of its fleet, in small JSON files under
 * STATE/fleet/ (each replaced atomically): what it last published, which
 * fleet lock it follows and what each package got from it, and on the
 * aggregator every machine's data and each package's fleet merge. `status`
 * reads them; nothing else depends on them but the next round.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../durable/durable-file.js';
import type { LockedProfile } from '../store/lock-file.js';

/** An attempt of one step of a round: when, and what failed (null: it worked). */
export interface Attempt {
  at: string;
  error: string | null;
}

export interface PublishedState {
  machine: string;
  lastAttempt: Attempt | null;
  /** The newest record in the cache. */
  published: {
    at: string;
    record: string;
    packages: Record<string, { generation: number; profile: LockedProfile; runs: number; counts: number }>;
  } | null;
}

/** Where a followed package's optimized build came from, or why it has none from the fleet. */
export type FollowOutcome =
  /** Substituted from the cache: built once by the aggregator. */
  | 'cache'
  /** Already in this store: the aggregator's own build. */
  | 'here'
  /** Built here with the fleet's profile: the cache lacked this machine's derivation (fallback build). */
  | 'built'
  /** The profiling variant stays active: this machine is on profiling duty. */
  | 'duty'
  /** The cache lacks this machine's derivation and the fallback is to wait. */
  | 'waiting'
  /** The user holds another variant (switch or rollback). */
  | 'held'
  | 'failed';

export interface FollowedPackage {
  at: string;
  outcome: FollowOutcome;
  /** In words, for status. */
  message: string;
  /** This machine's derivation of the optimized variant, and the aggregator's. */
  drvPath: string | null;
  fleetDrvPath: string | null;
  /** What became active, when something did. */
  storePath: string | null;
  generation: number;
}

export interface FollowedState {
  lastAttempt: Attempt | null;
  /** The fleet lock followed: its store path and generation. */
  lock: { storePath: string; generation: number; publishedAt: string; aggregator: string } | null;
  /** The last lock refused (older than the one followed, or not the aggregator's), and why. */
  refused: { at: string; storePath: string; why: string } | null;
  packages: Record<string, FollowedPackage>;
}

/** One machine's data of one package, as the aggregator sees it. */
export interface MachinePackage {
  profile: string;
  drvPath: string;
  toolchain: string;
  runs: number;
  /** What the machine claims, and what the aggregator measured (null: not measured, e.g. not used). */
  claimedCounts: number;
  mass: number | null;
  /** Null when it goes into the fleet's merge; else why not. */
  excluded: string | null;
}

export interface MachineState {
  /** The record taken (its store path and when it was published), null before any. */
  record: string | null;
  publishedAt: string | null;
  /** The last time the pointer was read, and what was wrong with what it named (null: fine). */
  checkedAt: string;
  problem: string | null;
  packages: Record<string, MachinePackage>;
}

export interface FleetPackageState {
  /** The merge's inputs: by machine, its measured counts, weight (0..1] and share of the fleet's profile. */
  machines: Record<string, { mass: number; weight: number; share: number; runs: number }>;
  /** The fleet's counts after the bound per machine, and its runs. */
  counts: number;
  runs: number;
  ready: boolean;
  reason: string;
  /** What was built last: from which counts, which lock generation. */
  built: {
    generation: number;
    counts: number;
    drvPath: string;
    outPath: string;
    inputs: string[];
    /** The build's whole log. */
    logFile: string;
  } | null;
  /** The last build that failed, why, and its inputs (not tried again with the same ones unless asked). */
  failed: { at: string; error: string; logFile: string | null; inputs: string[] } | null;
}

export interface AggregateState {
  lastAttempt: Attempt | null;
  /** The newest fleet lock published (0: none). */
  generation: number;
  lock: string | null;
  machines: Record<string, MachineState>;
  packages: Record<string, FleetPackageState>;
  duty: { share: number; machines: string[]; generation: number } | null;
  /** The measured mass of each machine profile (store paths never change), so a profile is measured once. */
  masses: Record<string, number>;
}

export const STATE_FILES = {
  published: 'published.json',
  followed: 'followed.json',
  aggregate: 'aggregate.json',
} as const;

function read<T>(fleetDir: string, name: string, empty: T): T {
  const file = join(fleetDir, name);
  if (!existsSync(file)) return empty;
  try {
    return { ...empty, ...(JSON.parse(readFileSync(file, 'utf8')) as T) };
  } catch {
    // A damaged file only loses what status shows until the next round writes it again.
    return empty;
  }
}

function write(fleetDir: string, name: string, value: unknown): void {
  mkdirSync(fleetDir, { recursive: true });
  writeFileAtomic(join(fleetDir, name), `${JSON.stringify(value, null, 2)}\n`);
}

export function readPublished(fleetDir: string): PublishedState {
  return read<PublishedState>(fleetDir, STATE_FILES.published, { machine: '', lastAttempt: null, published: null });
}

export function writePublished(fleetDir: string, state: PublishedState): void {
  write(fleetDir, STATE_FILES.published, state);
}

export function readFollowed(fleetDir: string): FollowedState {
  return read<FollowedState>(fleetDir, STATE_FILES.followed, {
    lastAttempt: null,
    lock: null,
    refused: null,
    packages: {},
  });
}

export function writeFollowed(fleetDir: string, state: FollowedState): void {
  write(fleetDir, STATE_FILES.followed, state);
}

export function readAggregate(fleetDir: string): AggregateState {
  return read<AggregateState>(fleetDir, STATE_FILES.aggregate, {
    lastAttempt: null,
    generation: 0,
    lock: null,
    machines: {},
    packages: {},
    duty: null,
    masses: {},
  });
}

export function writeAggregate(fleetDir: string, state: AggregateState): void {
  write(fleetDir, STATE_FILES.aggregate, state);
}
