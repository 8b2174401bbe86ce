/**
 * What the daemon should do next for each managed package (pure): the whole
 * decision of one tick, so it can be tested without Nix and replayed after a
 * restart. The thin layer in src/daemon carries the actions out.
 */
import type { PackageConfig } from '../config/config-types.js';
import { decideReadiness, type PackageMetrics, type Readiness } from './decide-readiness.js';
import type { SlotRow } from '../state/lifecycle-records.js';

/** The engine's numbers for one package, plus which merge they describe. */
export interface SlotMetrics extends PackageMetrics {
  /** Merge generation of the current merged profile (0: nothing merged). */
  generation: number;
  /** Path of the current merged profile (file or gcda directory), null before the first merge. */
  mergedPath: string | null;
}

export type TickAction =
  /** Build the profiling variant and put it into the Nix profile. */
  | { type: 'build-profiling'; name: string }
  /** A new merge happened since the slot last looked. */
  | { type: 'data-arrived'; name: string; generation: number; readiness: Readiness }
  /** Store the profile, build the optimized variant, switch to it. */
  | { type: 'build-optimized'; name: string; generation: number; mergedPath: string; requested: boolean }
  /** Policy met but the user wants to decide: tell them once. */
  | { type: 'notify-ready'; name: string; readiness: Readiness }
  /** A build was interrupted (daemon restart): its slot goes back to what was active. */
  | { type: 'recover-build'; name: string };

export interface TickInput {
  packages: readonly PackageConfig[];
  slots: ReadonlyMap<string, SlotRow>;
  metrics: ReadonlyMap<string, SlotMetrics>;
  now: Date;
  /** True on the first tick after the daemon started. */
  starting: boolean;
}

/** States in which a slot waits for data and may become ready. */
const COLLECTING = new Set(['profiling', 'collecting', 'ready', 'optimized', 'optimized-stale']);

export function planTick(input: TickInput): TickAction[] {
  const actions: TickAction[] = [];
  for (const pkg of input.packages) {
    const slot = input.slots.get(pkg.name) ?? null;
    if (slot?.state === 'building') {
      // Only a previous daemon can have left a slot in `building`: its build is gone.
      if (input.starting) actions.push({ type: 'recover-build', name: pkg.name });
      continue;
    }
    if (slot === null || slot.state === 'vanilla' || slot.profilingPath === null) {
      // A slot rolled back to vanilla stays there until the user asks again.
      if (!slot?.held && !waitingForRetry(slot, input.now)) actions.push({ type: 'build-profiling', name: pkg.name });
      continue;
    }
    const metrics = input.metrics.get(pkg.name);
    if (!metrics || !COLLECTING.has(slot.state)) continue;

    const readiness = decideReadiness(metrics, pkg.policy);
    // The merge the active optimized variant was built from (0: none yet).
    const builtGeneration = slot.profileGeneration ?? 0;
    const newData = metrics.generation > slot.seenGeneration;
    if (newData) actions.push({ type: 'data-arrived', name: pkg.name, generation: metrics.generation, readiness });

    const requested = slot.buildRequested;
    // An optimized slot rebuilds only on request or when the package was upgraded (stale).
    const wantsBuild =
      requested || (!slot.held && readiness.ready && slot.state !== 'optimized' && metrics.generation > builtGeneration);
    if (!wantsBuild || metrics.mergedPath === null) continue;
    if (!requested && waitingForRetry(slot, input.now)) continue;

    if (requested || pkg.policy.onReady === 'switch') {
      actions.push({ type: 'build-optimized', name: pkg.name, generation: metrics.generation, mergedPath: metrics.mergedPath, requested });
    } else if (slot.state !== 'ready') {
      actions.push({ type: 'notify-ready', name: pkg.name, readiness });
    }
  }
  return actions;
}

/** A failed build waits for its backoff to pass. */
function waitingForRetry(slot: SlotRow | null, now: Date): boolean {
  return slot !== null && slot.nextRetryAt !== null && Date.parse(slot.nextRetryAt) > now.getTime();
}
