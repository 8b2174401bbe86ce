/**
 * A package's lifecycle record after each step the executor carried out
 * (pure): given the record before and what happened (a build's outcome, a
 * switch, a user's request), the record to save. The state machine
 * (transition.ts) says which moves are legal; these fill in the rest.
 */
import type { RetryPolicy } from '../config/config-types.js';
import {
  HISTORY_LENGTH,
  type ActiveBuild,
  type BuildOutcome,
  type BuildRecord,
  type HistoryEntry,
  type LifecycleRecord,
  type PackageOrigin,
} from '../model/lifecycle-record.js';
import type { Stage, Variant } from '../model/variants.js';
import type { Readiness } from './decide-readiness.js';
import { recordFailure } from './retry-backoff.js';
import { transition, type LifecycleEvent } from './transition.js';

/** What the record keeps of a build: its variant, its times and its outcome. */
export function recordBuild(variant: Variant, startedAt: Date, endedAt: Date, outcome: BuildOutcome): BuildRecord {
  return {
    variant,
    ok: outcome.ok,
    startedAt: startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    storePath: outcome.ok ? outcome.storePath : null,
    logFile: outcome.logFile,
    error: outcome.ok ? null : outcome.error,
    logTail: outcome.ok ? null : outcome.logTail,
  };
}

/** The record after one legal move of the state machine, with `fields` set. */
export function step(
  record: LifecycleRecord,
  event: LifecycleEvent,
  now: Date,
  fields: Partial<LifecycleRecord> = {},
): LifecycleRecord {
  const next = transition({ state: record.state, beforeBuild: record.beforeBuild }, event);
  return { ...record, ...fields, state: next.state, beforeBuild: next.beforeBuild, updatedAt: now.toISOString() };
}

/** The record's history with one more entry (the oldest dropped beyond HISTORY_LENGTH). */
export function withHistory(
  record: LifecycleRecord,
  step: { event: string; origin?: PackageOrigin | null; profileStorePath?: string | null; share?: number | null },
  now: Date,
): Pick<LifecycleRecord, 'history'> {
  const entry: HistoryEntry = {
    at: now.toISOString(),
    event: step.event,
    name: step.origin?.name ?? null,
    version: step.origin?.version ?? null,
    drvPath: step.origin?.drvPath ?? null,
    profileStorePath: step.profileStorePath ?? null,
    share: step.share ?? null,
  };
  return { history: [...(record.history ?? []), entry].slice(-HISTORY_LENGTH) };
}

/** A built variant's derivation, kept beside the variant's other origins. */
function withOrigin(
  record: LifecycleRecord,
  variant: Variant,
  origin: PackageOrigin | undefined,
): Pick<LifecycleRecord, 'origins'> {
  return origin ? { origins: { ...record.origins, [variant]: origin } } : {};
}

/** A profiling build starts: nothing changes but what status shows as building. */
export function afterProfilingBuildBegun(record: LifecycleRecord, build: ActiveBuild, now: Date): LifecycleRecord {
  return { ...record, activeBuild: build, updatedAt: now.toISOString() };
}

/** What every switch to a freshly built profiling variant (of either stage) sets. */
function switchedToProfiling(
  built: { storePath: string; generation: number; build: BuildRecord },
  reason: string,
): Partial<LifecycleRecord> {
  return {
    activePath: built.storePath,
    generation: built.generation,
    failures: 0,
    nextRetryAt: null,
    lastBuild: built.build,
    activeBuild: null,
    buildRequested: false,
    reason,
  };
}

/** The profiling variant was built and switched in: profiling starts (or goes on, after a rebuild). */
export function afterProfilingBuilt(
  record: LifecycleRecord,
  built: { storePath: string; generation: number; build: BuildRecord; origin?: PackageOrigin },
  now: Date,
): LifecycleRecord {
  const fields: Partial<LifecycleRecord> = {
    ...switchedToProfiling(built, 'profiling: waiting for the instrumented program to run'),
    ...withOrigin(record, 'profile', built.origin),
    profilingPath: built.storePath,
    activeVariant: 'profile',
  };
  return record.state === 'vanilla'
    ? step(record, { type: 'enable' }, now, fields)
    : { ...record, ...fields, updatedAt: now.toISOString() };
}

/** The BOLT-instrumented variant (built on the PGO-optimized one) was built and switched in: BOLT profiling starts. */
export function afterBoltProfilingBuilt(
  record: LifecycleRecord,
  built: { storePath: string; generation: number; build: BuildRecord; origin?: PackageOrigin },
  now: Date,
): LifecycleRecord {
  const fields: Partial<LifecycleRecord> = {
    ...switchedToProfiling(built, 'BOLT profiling: waiting for the BOLT-instrumented program to run and exit'),
    ...withOrigin(record, 'bolt-profile', built.origin),
    boltProfilingPath: built.storePath,
    activeVariant: 'bolt-profile',
  };
  return record.state === 'optimized'
    ? step(record, { type: 'bolt-enable' }, now, fields)
    : { ...record, ...fields, updatedAt: now.toISOString() };
}

/** The profiling build (of either stage) failed: nothing changes but the failure count and the next try. */
export function afterProfilingFailed(
  record: LifecycleRecord,
  failed: { build: BuildRecord; error: string },
  retry: RetryPolicy,
  now: Date,
): LifecycleRecord {
  const failure = recordFailure(record.failures, retry, now);
  return {
    ...record,
    ...failure,
    lastBuild: failed.build,
    activeBuild: null,
    buildRequested: false,
    reason: `${failed.error} (${failure.failures}× in a row); next try ${failure.nextRetryAt}, or now with \`nix-pgo build ${record.name}\``,
    updatedAt: now.toISOString(),
  };
}

/** A new merge of the stage's data arrived; a collecting package whose policy is now met becomes ready. */
export function afterDataArrived(
  record: LifecycleRecord,
  stage: Stage,
  generation: number,
  readiness: Readiness,
  now: Date,
): LifecycleRecord {
  const fields: Partial<LifecycleRecord> =
    stage === 'pgo'
      ? { seenGeneration: generation, reason: readiness.reason }
      : { boltSeenGeneration: generation, reason: `BOLT data: ${readiness.reason}` };
  const next = step(record, { type: 'data-arrived' }, now, fields);
  return readiness.ready && (next.state === 'collecting' || next.state === 'bolt-profiling')
    ? step(next, { type: 'policy-met' }, now)
    : next;
}

/** Ready, but the policy says the user decides. */
export function afterReadyNotified(
  record: LifecycleRecord,
  stage: Stage,
  readiness: Readiness,
  now: Date,
): LifecycleRecord {
  const what = stage === 'pgo' ? readiness.reason : `BOLT data: ${readiness.reason}`;
  return {
    ...record,
    reason: `${what}; run \`nix-pgo build ${record.name}\` to build and switch`,
    updatedAt: now.toISOString(),
  };
}

/** An optimized build (PGO or BOLT) starts; saved before the slow part, so a restart finds `building`. */
export function afterBuildStarted(
  record: LifecycleRecord,
  generation: number,
  build: ActiveBuild,
  now: Date,
): LifecycleRecord {
  const what = build.variant === 'bolt-optimized' ? 'the BOLT-optimized variant' : 'the optimized variant';
  const reason =
    record.state === 'optimized-stale'
      ? `building ${what} of ${describeOrigin(record.upgrade?.to ?? null)} with the profile it had (carry-over); the old build stays active until it succeeds`
      : record.state === 'refreshing'
        ? `building the optimized variant with the fresh data of merge ${generation} and the still-matching part of the old profile`
        : build.variant === 'bolt-optimized'
          ? `building the BOLT-optimized variant with BOLT merge ${generation}`
          : `building the optimized variant with merge ${generation}`;
  return step(record, { type: 'build-started' }, now, {
    buildRequested: false,
    held: false,
    activeBuild: build,
    reason,
  });
}

/** `name-version` of a variant's origin, or words for an unknown one. */
export function describeOrigin(origin: PackageOrigin | null | undefined): string {
  if (!origin) return 'an unrecorded derivation';
  return origin.version ? `${origin.name}-${origin.version}` : origin.name;
}

/**
 * The optimized variant (PGO, or BOLT on top of it) was built and switched in: from new data, or
 * (from `optimized-stale`) a new derivation with the profile it had, or (from `refreshing`) with
 * fresh data and the still-matching part of the profile carried over.
 */
export function afterOptimizedBuilt(
  record: LifecycleRecord,
  built: {
    storePath: string;
    generation: number;
    mergeGeneration: number;
    profileStorePath: string;
    build: BuildRecord;
    origin?: PackageOrigin;
  },
  now: Date,
): LifecycleRecord {
  const variant = built.build.variant === 'bolt-optimized' ? 'bolt-optimized' : 'optimized';
  const kind =
    record.beforeBuild === 'optimized-stale'
      ? 'carried-over'
      : record.beforeBuild === 'refreshing'
        ? 'refreshed'
        : 'trained';
  const common: Partial<LifecycleRecord> = {
    activePath: built.storePath,
    generation: built.generation,
    failures: 0,
    nextRetryAt: null,
    lastBuild: built.build,
    activeBuild: null,
    ...withOrigin(record, variant, built.origin),
    upgrade: null,
    refresh: null,
    // A new profile or a new derivation: the old match says nothing about it; after an upgrade it is measured.
    match: null,
    measureRequested: kind !== 'trained',
    ...withHistory(
      record,
      {
        event: kind,
        origin: built.origin,
        profileStorePath: variant === 'bolt-optimized' ? record.profileStorePath : built.profileStorePath,
      },
      now,
    ),
  };
  const carried =
    kind === 'carried-over' ? ` (carried over: ${describeOrigin(built.origin)} with the profile it had)` : '';
  if (variant === 'bolt-optimized') {
    return step(record, { type: 'build-succeeded', variant }, now, {
      ...common,
      boltOptimizedPath: built.storePath,
      activeVariant: 'bolt-optimized',
      boltProfileGeneration: built.mergeGeneration,
      boltProfileStorePath: built.profileStorePath,
      reason: `optimized${carried} with BOLT merge ${built.mergeGeneration} (${built.profileStorePath}) on the PGO-optimized variant`,
    });
  }
  return step(record, { type: 'build-succeeded', variant }, now, {
    ...common,
    optimizedPath: built.storePath,
    activeVariant: 'optimized',
    profileGeneration: built.mergeGeneration,
    profileStorePath: built.profileStorePath,
    profileSource: kind === 'carried-over' ? (record.profileSource ?? null) : (record.origins?.profile ?? null),
    reason:
      kind === 'refreshed'
        ? `optimized with the fresh data of merge ${built.mergeGeneration} and the still-matching part of the old profile (${built.profileStorePath})`
        : `optimized${carried} with merge ${built.mergeGeneration} (${built.profileStorePath})`,
  });
}

/** The optimized build failed: the active variant stays, and the next try waits for the backoff. */
export function afterOptimizedFailed(
  record: LifecycleRecord,
  build: BuildRecord,
  retry: RetryPolicy,
  now: Date,
): LifecycleRecord {
  const failure = recordFailure(record.failures, retry, now);
  return step(record, { type: 'build-failed' }, now, {
    ...failure,
    lastBuild: build,
    activeBuild: null,
    reason: `${build.error ?? `the ${build.variant} build failed`} (${failure.failures}× in a row); the active variant stays; next try ${failure.nextRetryAt}, or now with \`nix-pgo build ${record.name}\``,
  });
}

/**
 * A build was interrupted (a signal stopped it, or the process that ran it is gone): back to what
 * was active, with no failure counted, and asked for again if it was asked for.
 */
export function afterBuildInterrupted(record: LifecycleRecord, now: Date): LifecycleRecord {
  const fields: Partial<LifecycleRecord> = {
    activeBuild: null,
    buildRequested: record.buildRequested || (record.activeBuild?.requested ?? false),
    reason: 'the build was interrupted (a signal, or a daemon restart); it starts again',
  };
  return record.state === 'building'
    ? step(record, { type: 'build-failed' }, now, fields)
    : { ...record, ...fields, updatedAt: now.toISOString() };
}

/**
 * An action threw (a store or switch step failed, not the build itself). A package it left in
 * `building` counts as a failed build, so it does not stay there; any other package that was
 * building a profiling variant counts a failure too, so the next try waits for the backoff.
 * Anything else is unchanged (null).
 */
export function afterActionFailed(
  record: LifecycleRecord,
  message: string,
  retry: RetryPolicy,
  now: Date,
): LifecycleRecord | null {
  const failure = recordFailure(record.failures, retry, now);
  if (record.state !== 'building') {
    if (!record.activeBuild) return null;
    return {
      ...record,
      ...failure,
      activeBuild: null,
      buildRequested: false,
      reason: `the ${record.activeBuild.variant} build could not run: ${message}; next try ${failure.nextRetryAt}`,
      updatedAt: now.toISOString(),
    };
  }
  return step(record, { type: 'build-failed' }, now, {
    ...failure,
    activeBuild: null,
    reason: `the optimized build could not run: ${message}`,
  });
}

/** `nix-pgo build`: build now, whatever the policy and the backoff say. */
export function afterBuildRequested(record: LifecycleRecord, now: Date): LifecycleRecord {
  return { ...record, buildRequested: true, held: false, nextRetryAt: null, updatedAt: now.toISOString() };
}

/** The user put `variant` (null: neither of this package's variants) into the Nix profile. */
export function afterUserSwitch(
  record: LifecycleRecord,
  switched: { variant: Variant | null; storePath: string | null; generation: number; held: boolean; reason: string },
  now: Date,
): LifecycleRecord {
  const to =
    switched.variant === 'optimized' || switched.variant === 'bolt-optimized'
      ? switched.variant
      : switched.variant === 'bolt-profile'
        ? 'bolt-profiling'
        : switched.variant === 'profile'
          ? record.seenGeneration > 0
            ? 'collecting'
            : 'profiling'
          : 'vanilla';
  const next = transition({ state: record.state, beforeBuild: record.beforeBuild }, { type: 'rollback', to });
  return {
    ...record,
    state: next.state,
    beforeBuild: null,
    activeVariant: switched.variant,
    activePath: switched.storePath,
    generation: switched.generation,
    held: switched.held,
    reason: switched.reason,
    updatedAt: now.toISOString(),
  };
}
