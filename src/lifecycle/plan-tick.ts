/**
 * What the daemon should do next for each managed package (pure): the whole
 * decision of one tick, so it can be tested without Nix and replayed after a
 * restart. src/actions carries the actions out.
 */
import type { PackageConfig } from '../config/config-types.js';
import type { LifecycleRecord } from '../state/lifecycle-records.js';
import { decideReadiness, type CollectedMetrics, type Readiness } from './decide-readiness.js';

export type TickAction =
  /** Build the profiling variant and put it into the Nix profile. */
  | { type: 'build-profiling'; name: string }
  /** A new merge happened since the package last looked. */
  | { type: 'data-arrived'; name: string; generation: number; readiness: Readiness }
  /** Store the profile, build the optimized variant, switch to it. */
  | { type: 'build-optimized'; name: string; generation: number; mergedPath: string; requested: boolean }
  /** Policy met but the user wants to decide: tell them once. */
  | { type: 'notify-ready'; name: string; readiness: Readiness }
  /** A build was interrupted (daemon restart): the package goes back to what was active. */
  | { type: 'recover-build'; name: string };

/** `start`: the first tick of a daemon (or of a one-shot command), when a build left `building` is known to be dead. */
export type TickPhase = 'start' | 'running';

export interface TickInput {
  packages: readonly PackageConfig[];
  records: ReadonlyMap<string, LifecycleRecord>;
  metrics: ReadonlyMap<string, CollectedMetrics>;
  now: Date;
  phase: TickPhase;
}

/** States in which a package waits for data and may become ready. */
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
    if (record === null || record.state === 'vanilla' || record.profilingPath === null) {
      // A package rolled back to vanilla stays there until the user asks again; a user's request overrides the backoff.
      if (record?.buildRequested || (!record?.held && !waitingForRetry(record, input.now))) actions.push({ type: 'build-profiling', name: pkg.name });
      continue;
    }
    const metrics = input.metrics.get(pkg.name);
    if (!metrics || !COLLECTING.has(record.state)) continue;

    const readiness = decideReadiness(metrics, pkg.policy);
    // The merge the active optimized variant was built from (0: none yet).
    const builtGeneration = record.profileGeneration ?? 0;
    if (metrics.generation > record.seenGeneration) actions.push({ type: 'data-arrived', name: pkg.name, generation: metrics.generation, readiness });

    const requested = record.buildRequested;
    // An optimized package rebuilds only on request: new data alone does not replace a working binary.
    const wantsBuild = requested || (!record.held && readiness.ready && record.state !== 'optimized' && metrics.generation > builtGeneration);
    if (!wantsBuild || metrics.mergedPath === null) continue;
    // The backoff holds back builds; telling the user (onReady: notify) does not wait for it.
    if (!requested && pkg.policy.onReady === 'switch' && waitingForRetry(record, input.now)) continue;

    if (requested || pkg.policy.onReady === 'switch') {
      actions.push({ type: 'build-optimized', name: pkg.name, generation: metrics.generation, mergedPath: metrics.mergedPath, requested });
    } else if (record.state !== 'ready') {
      actions.push({ type: 'notify-ready', name: pkg.name, readiness });
    }
  }
  return actions;
}

/** A failed build waits for its backoff to pass. */
function waitingForRetry(record: LifecycleRecord | null, now: Date): boolean {
  return record !== null && record.nextRetryAt !== null && Date.parse(record.nextRetryAt) > now.getTime();
}
