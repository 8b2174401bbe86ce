/**
 * What the daemon should do next for each managed package (pure): the whole
 * decision of one tick, so it can be tested without Nix and replayed after a
 * restart. src/actions carries the actions out.
 */
import type { PackageConfig, Policy } from '../config/config-types.js';
import { BOLT_STATES } from '../model/lifecycle-states.js';
import { boltDataName, type Stage } from '../model/variants.js';
import type { LifecycleRecord } from '../model/lifecycle-record.js';
import { decideReadiness, NO_METRICS, type CollectedMetrics, type Readiness } from './decide-readiness.js';
import { decideRefresh } from './decide-refresh.js';

export type TickAction =
  /** Build the stage's profiling variant (PGO-instrumented, or BOLT-instrumented on the PGO-optimized one) and put it into the Nix profile. */
  | { type: 'build-profiling'; name: string; stage: Stage }
  /** A new merge of the stage's data happened since the package last looked. */
  | { type: 'data-arrived'; name: string; stage: Stage; generation: number; readiness: Readiness }
  /**
   * Store the stage's profile, build its optimized variant, switch to it. With `carried` (the end of a
   * refresh window), the profile is the fresh data combined with the still-matching part of that one.
   */
  | {
      type: 'build-optimized';
      name: string;
      stage: Stage;
      generation: number;
      mergedPath: string;
      requested: boolean;
      carried?: { storePath: string; generation: number };
    }
  /** Compare the active variant's derivation with what the Nix file gives now (evaluates, builds nothing). */
  | { type: 'check-upgrade'; name: string }
  /** The derivation changed: build the new one with the profile(s) the active variant had, and switch to it. */
  | { type: 'carry-over'; name: string; variant: 'optimized' | 'bolt-optimized' }
  /** Build the instrumented twin of the active optimized variant and measure how much of its profile applies. */
  | { type: 'measure-match'; name: string }
  /** The profile matches too little: the instrumented twin becomes active for a bounded window of fresh data. */
  | { type: 'start-refresh'; name: string }
  /** The refresh window ended without data: the optimized variant it started from comes back. */
  | { type: 'end-refresh'; name: string }
  /** `nix-pgo reset`: forget the package's data and start over with a profiling build of the current derivation. */
  | { type: 'reset'; name: string }
  /** Policy met but the user wants to decide: tell them once. */
  | { type: 'notify-ready'; name: string; stage: Stage; readiness: Readiness }
  /** BOLT was turned off in the config while a BOLT variant is active: back to the PGO-optimized variant (of `record`). */
  | { type: 'leave-bolt'; name: string; record: LifecycleRecord }
  /** A build was interrupted (daemon restart): the package goes back to what was active. */
  | { type: 'recover-build'; name: string };

/** `start`: the first tick of a daemon (or of a one-shot command), when a build left `building` is known to be dead. */
export type TickPhase = 'start' | 'running';

export interface TickInput {
  packages: readonly PackageConfig[];
  records: ReadonlyMap<string, LifecycleRecord>;
  /** By collector package: a package's name for its PGO data, boltDataName(name) for its BOLT data. */
  metrics: ReadonlyMap<string, CollectedMetrics>;
  now: Date;
  phase: TickPhase;
  /** Compare every package's derivation with the Nix file now (the daemon's start, a reload of the config). */
  checkAll?: boolean;
  /**
   * A fleet's machine: its optimized builds come from the fleet's lock (src/fleet), so its own data never starts
   * one, nor a refresh window; only `nix-pgo build` does.
   */
  followsFleet?: boolean;
}

/** States in which a package waits for PGO data and may become ready. */
const COLLECTING = new Set(['profiling', 'collecting', 'ready', 'optimized']);

export function planTick(input: TickInput): TickAction[] {
  const actions: TickAction[] = [];
  for (const pkg of input.packages) {
    const record = input.records.get(pkg.name) ?? null;
    if (record?.state === 'building' || record?.activeBuild) {
      // Only a previous process can have left a build running at start: its build is gone.
      if (input.phase === 'start') actions.push({ type: 'recover-build', name: pkg.name });
      continue;
    }
    if (record?.resetRequested) {
      actions.push({ type: 'reset', name: pkg.name });
      continue;
    }
    if (record !== null && checkDue(record, pkg, input)) {
      // Alone in this tick: what it finds decides what comes next.
      actions.push({ type: 'check-upgrade', name: pkg.name });
      continue;
    }
    if (record === null || record.state === 'vanilla' || record.profilingPath === null) {
      // A package rolled back to vanilla stays there until the user asks again; a user's request overrides the backoff.
      if (record?.buildRequested || (!record?.held && !waitingForRetry(record, input.now)))
        actions.push({ type: 'build-profiling', name: pkg.name, stage: 'pgo' });
      continue;
    }
    if (record.state === 'optimized-stale') {
      if (record.upgrade && !record.held && (record.buildRequested || !waitingForRetry(record, input.now)))
        actions.push({ type: 'carry-over', name: pkg.name, variant: record.upgrade.variant });
      continue;
    }
    const optimizedNow = record.state === 'optimized' || record.state === 'bolt-optimized';
    if (optimizedNow && !record.held && record.measureRequested) {
      actions.push({ type: 'measure-match', name: pkg.name });
      continue;
    }
    if (optimizedNow && !record.held && !input.followsFleet && wantsRefresh(record, pkg.policy)) {
      actions.push({ type: 'start-refresh', name: pkg.name });
      continue;
    }
    if (record.state === 'refreshing') {
      actions.push(...planRefresh(pkg.name, record, input.metrics.get(pkg.name), pkg.policy, input.now));
      continue;
    }
    if (BOLT_STATES.has(record.state)) {
      if (pkg.bolt === null) {
        if (record.optimizedPath) actions.push({ type: 'leave-bolt', name: pkg.name, record });
        continue;
      }
      const metrics = input.metrics.get(boltDataName(pkg.name));
      if (metrics) actions.push(...planStage(pkg.name, 'bolt', record, metrics, pkg.bolt.policy, input.now));
      continue;
    }
    if (pkg.bolt !== null && record.state === 'optimized' && (record.buildRequested || !record.held)) {
      // BOLT is the step after PGO: it rewrites the PGO-optimized binaries with a profile of their own.
      if (record.buildRequested || !waitingForRetry(record, input.now))
        actions.push({ type: 'build-profiling', name: pkg.name, stage: 'bolt' });
      continue;
    }
    const metrics = input.metrics.get(pkg.name);
    if (!metrics || !COLLECTING.has(record.state)) continue;
    actions.push(...planStage(pkg.name, 'pgo', record, metrics, pkg.policy, input.now, input.followsFleet));
  }
  return actions;
}

/** Data arriving, and the optimized build (or a note to the user) once the stage's policy is met. */
function planStage(
  name: string,
  stage: Stage,
  record: LifecycleRecord,
  metrics: CollectedMetrics,
  policy: Policy,
  now: Date,
  followsFleet = false,
): TickAction[] {
  const actions: TickAction[] = [];
  const own = decideReadiness(metrics, policy);
  // A fleet's machine is never ready by its own data: the policy applies to the fleet's.
  const readiness = followsFleet
    ? {
        ...own,
        ready: false,
        reason: `collected here for the fleet (${own.measures.map((m) => m.text).join(', ')}); the fleet's aggregator builds once the fleet's data meets the policy`,
      }
    : own;
  const seen = stage === 'pgo' ? record.seenGeneration : (record.boltSeenGeneration ?? 0);
  // The merge the stage's active optimized variant was built from (0: none yet).
  const builtGeneration = (stage === 'pgo' ? record.profileGeneration : record.boltProfileGeneration) ?? 0;
  const optimizedState = stage === 'pgo' ? 'optimized' : 'bolt-optimized';
  const readyState = stage === 'pgo' ? 'ready' : 'bolt-ready';
  if (metrics.generation > seen)
    actions.push({ type: 'data-arrived', name, stage, generation: metrics.generation, readiness });

  const requested = record.buildRequested;
  // An optimized package rebuilds only on request: new data alone does not replace a working binary.
  const wantsBuild =
    requested ||
    (!followsFleet &&
      !record.held &&
      readiness.ready &&
      record.state !== optimizedState &&
      metrics.generation > builtGeneration);
  if (!wantsBuild || metrics.mergedPath === null) return actions;
  // The backoff holds back builds; telling the user (onReady: notify) does not wait for it.
  if (!requested && policy.onReady === 'switch' && waitingForRetry(record, now)) return actions;

  if (requested || policy.onReady === 'switch') {
    actions.push({
      type: 'build-optimized',
      name,
      stage,
      generation: metrics.generation,
      mergedPath: metrics.mergedPath,
      requested,
    });
  } else if (record.state !== readyState) {
    actions.push({ type: 'notify-ready', name, stage, readiness });
  }
  return actions;
}

/** Whether to compare the package's derivation now: asked for, or its interval passed (a running daemon only). */
function checkDue(record: LifecycleRecord, pkg: PackageConfig, input: TickInput): boolean {
  if (record.activePath === null || record.state === 'building' || record.activeBuild) return false;
  if (record.checkRequested) return true;
  // A package starting over builds the current derivation next anyway.
  if (record.state === 'vanilla') return false;
  if (input.checkAll) return true;
  if (input.phase !== 'running') return false;
  const last = record.checkedAt ? Date.parse(record.checkedAt) : Number.NEGATIVE_INFINITY;
  return input.now.getTime() - last >= pkg.policy.upgrades.checkMinutes * 60_000;
}

/** A measured match below the policy's bound, for an optimized variant no refresh has been started for yet. */
function wantsRefresh(record: LifecycleRecord, policy: Policy): boolean {
  const match = record.match;
  return (
    match?.result != null &&
    match.optimizedPath === record.optimizedPath &&
    match.result.share < policy.upgrades.refreshBelow &&
    record.refreshedFor !== record.optimizedPath &&
    record.profilingPath !== null &&
    record.profileStorePath !== null
  );
}

/** A refresh window: data arrives; once the window's bound is reached, the optimized build; without any data, back. */
function planRefresh(
  name: string,
  record: LifecycleRecord,
  metrics: CollectedMetrics | undefined,
  policy: Policy,
  now: Date,
): TickAction[] {
  const refresh = record.refresh;
  if (!refresh) return [{ type: 'end-refresh', name }];
  const m = metrics ?? NO_METRICS;
  const decision = decideRefresh(m, policy.upgrades, refresh.startedAt, now);
  const actions: TickAction[] = [];
  if (m.generation > record.seenGeneration)
    actions.push({ type: 'data-arrived', name, stage: 'pgo', generation: m.generation, readiness: decision });
  if (decision.giveUp) return [...actions, { type: 'end-refresh', name }];
  const fresh = m.generation > (record.profileGeneration ?? 0);
  // `nix-pgo build` ends the window early, with the fresh data there is.
  const ends = decision.ready || (record.buildRequested && m.mergedBytes > 0);
  if (ends && fresh && m.mergedPath !== null && (record.buildRequested || !waitingForRetry(record, now)))
    actions.push({
      type: 'build-optimized',
      name,
      stage: 'pgo',
      generation: m.generation,
      mergedPath: m.mergedPath,
      requested: record.buildRequested,
      carried: refresh.carried,
    });
  return actions;
}

/** A failed build waits for its backoff to pass. */
function waitingForRetry(record: LifecycleRecord | null, now: Date): boolean {
  return record !== null && record.nextRetryAt !== null && Date.parse(record.nextRetryAt) > now.getTime();
}
