/**
 * A package's record after the steps that keep its profile alive through
 * upgrades (pure): a check of its derivation, the match of its profile,
 * the refresh window, and a start over. next-record.ts holds the steps of
 * the ordinary cycle; both move only along transition.ts.
 */
import type { LifecycleRecord, MatchRecord, PackageOrigin, UpgradeRecord } from '../model/lifecycle-record.js';
import { BOLT_STATES, type LifecycleState } from '../model/lifecycle-states.js';
import type { Variant } from '../model/variants.js';
import { describeOrigin, step, withHistory } from './next-record.js';

/** States whose active variant is an optimized build of some derivation: an upgrade carries their profile over. */
const CARRIED: ReadonlySet<LifecycleState> = new Set(['optimized', 'optimized-stale', 'refreshing', ...BOLT_STATES]);

/** What a check of the package's derivations found. */
export type CheckResult =
  /** The Nix file gives what is active: nothing changed (the origins of the variants it confirmed are kept). */
  | { kind: 'same'; origins: Partial<Record<Variant, PackageOrigin>> }
  /** The derivation changed: `to` is what the carry-over builds (or, before any optimized build, the profiling variant). */
  | { kind: 'changed'; to: PackageOrigin }
  /** The Nix file could not be evaluated (or the lock lost the profile): the active variant stays. */
  | { kind: 'failed'; error: string };

/** The record after a check of its derivation against the Nix file. */
export function afterChecked(record: LifecycleRecord, result: CheckResult, now: Date): LifecycleRecord {
  const checked: Partial<LifecycleRecord> = {
    checkedAt: now.toISOString(),
    checkRequested: false,
    checkError: result.kind === 'failed' ? result.error : null,
  };
  if (result.kind === 'failed') return { ...record, ...checked, updatedAt: now.toISOString() };
  if (result.kind === 'same')
    return {
      ...record,
      ...checked,
      origins: { ...result.origins, ...record.origins },
      updatedAt: now.toISOString(),
    };
  const from = record.activeVariant ? (record.origins?.[record.activeVariant] ?? null) : null;
  // Noticed before and acted on (or held by the user): the same new derivation is not news.
  const known = record.upgrade?.to.drvPath === result.to.drvPath;
  if (known && (record.held || record.state === 'optimized-stale'))
    return { ...record, ...checked, updatedAt: now.toISOString() };
  const history = known
    ? {}
    : withHistory(record, { event: 'upgraded', origin: result.to, profileStorePath: record.profileStorePath }, now);
  const change = `${describeOrigin(from)} → ${describeOrigin(result.to)}`;
  if (record.held)
    return {
      ...record,
      ...checked,
      ...history,
      upgrade: upgradeOf(record, from, result.to, now),
      reason: `${record.reason}; the Nix file now gives ${change}, which nix-pgo builds once \`nix-pgo switch ${record.name}\` or \`build\` ends the hold`,
      updatedAt: now.toISOString(),
    };
  if (CARRIED.has(record.state) && record.profileStorePath !== null)
    return step(record, { type: 'upgraded' }, now, {
      ...checked,
      ...history,
      upgrade: upgradeOf(record, from, result.to, now),
      refresh: null,
      reason: `the derivation changed (${change}): building it with the profile it had; the active build stays until then`,
    });
  // Never optimized yet: the data of the old build would only mislead the new one, so the cycle starts over.
  return afterReset(
    { ...record, ...checked, ...history },
    `the derivation changed (${change}) before an optimized build: starting over with the new one`,
    now,
  );
}

function upgradeOf(record: LifecycleRecord, from: PackageOrigin | null, to: PackageOrigin, now: Date): UpgradeRecord {
  const bolt = record.activeVariant === 'bolt-optimized' || record.upgrade?.variant === 'bolt-optimized';
  return { from, to, variant: bolt ? 'bolt-optimized' : 'optimized', noticedAt: now.toISOString() };
}

/** The match of the active optimized variant's profile was measured (on its instrumented twin, which becomes the profiling variant). */
export function afterMatchMeasured(
  record: LifecycleRecord,
  match: MatchRecord,
  twin: { storePath: string; origin?: PackageOrigin } | null,
  now: Date,
): LifecycleRecord {
  const share = match.result?.share ?? null;
  return {
    ...record,
    match,
    measureRequested: false,
    ...(twin
      ? {
          profilingPath: twin.storePath,
          origins: twin.origin ? { ...record.origins, profile: twin.origin } : record.origins,
        }
      : {}),
    ...withHistory(
      record,
      { event: 'measured', origin: twin?.origin, profileStorePath: match.profileStorePath, share },
      now,
    ),
    reason:
      match.result === null
        ? `${record.reason}; how much of the profile applies was not measured: ${match.unmeasured ?? 'unknown'}`
        : `${record.reason}; ${describeShare(match)}`,
    updatedAt: now.toISOString(),
  };
}

/** E.g. "the profile applies to 55 % of its counts (2 of 3 functions)". */
export function describeShare(match: MatchRecord): string {
  const r = match.result;
  if (r === null) return 'the match of the profile is not measured';
  return `the profile applies to ${formatShare(r.share)} of its counts (${r.matched} of ${r.functions} functions)`;
}

/** A share as a percentage with one decimal below 100 (99.96 % shows as 99.9 %, never as 100 %). */
export function formatShare(share: number): string {
  const percent = Math.floor(share * 1000) / 10;
  return `${share >= 1 ? '100' : percent.toFixed(1)} %`;
}

/** The instrumented build of the current derivation is active for a refresh window; the old profile is carried. */
export function afterRefreshStarted(
  record: LifecycleRecord,
  started: { generation: number; carried: { storePath: string; generation: number }; windowWords: string },
  now: Date,
): LifecycleRecord {
  return step(record, { type: 'refresh-started' }, now, {
    activeVariant: 'profile',
    activePath: record.profilingPath,
    generation: started.generation,
    held: false,
    refresh: { carried: started.carried, optimizedPath: record.optimizedPath!, startedAt: now.toISOString() },
    refreshedFor: record.optimizedPath,
    ...withHistory(
      record,
      {
        event: 'refresh-started',
        origin: record.origins?.profile,
        profileStorePath: started.carried.storePath,
        share: record.match?.result?.share,
      },
      now,
    ),
    reason: `refreshing: ${record.match ? describeShare(record.match) : 'the profile matches too little'}; the instrumented build is active until ${started.windowWords}, then the optimized build comes back with fresh data`,
  });
}

/** The refresh window ended without fresh data: the optimized variant it started from is active again. */
export function afterRefreshEnded(record: LifecycleRecord, generation: number, now: Date): LifecycleRecord {
  const optimizedPath = record.refresh?.optimizedPath ?? record.optimizedPath;
  return step(record, { type: 'refresh-ended' }, now, {
    activeVariant: 'optimized',
    activePath: optimizedPath,
    generation,
    refresh: null,
    ...withHistory(
      record,
      {
        event: 'refresh-ended',
        origin: record.origins?.optimized,
        profileStorePath: record.profileStorePath,
        share: record.match?.result?.share,
      },
      now,
    ),
    reason: 'the refresh window ended without fresh data: back to the optimized build with the profile it had',
  });
}

/** `nix-pgo reset`: start over with a profiling build of the current derivation. */
export function afterResetRequested(record: LifecycleRecord, now: Date): LifecycleRecord {
  return { ...record, resetRequested: true, updatedAt: now.toISOString() };
}

/**
 * The cycle starts over: the profiling variant of the current derivation is built next (and
 * switched in); the collected data is forgotten (the caller drops it from the collector); the
 * optimized variant and its profile stay recorded (and in the store) until then.
 */
export function afterReset(record: LifecycleRecord, reason: string, now: Date): LifecycleRecord {
  return step(record, { type: 'reset' }, now, {
    profilingPath: null,
    held: false,
    resetRequested: false,
    buildRequested: false,
    failures: 0,
    nextRetryAt: null,
    upgrade: null,
    refresh: null,
    match: null,
    measureRequested: false,
    refreshedFor: null,
    ...withHistory(record, { event: 'reset' }, now),
    reason,
  });
}
