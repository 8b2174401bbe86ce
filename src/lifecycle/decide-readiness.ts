/**
 * Whether a package has enough profile data to build its optimized variant,
 * and why (or why not) in words a status line can show.
 */
import type { Policy } from '../config/config-types.js';
import { BYTES_PER_MB } from '../config/defaults.js';
import type { PackageRecord } from '../state/package-records.js';

export interface PackageMetrics {
  /** Size of the current merged profile; 0 when nothing has been merged. */
  mergedBytes: number;
  /** Raw profile bytes harvested from the spool so far (what the threshold counts). */
  bytesHarvested: number;
  /** Instrumented runs seen. */
  runs: number;
  /** Overlap (0..1) of the last two merged profiles; null before there are two. */
  convergence: number | null;
}

/** The collector's numbers for one package, plus which merge they describe. */
export interface CollectedMetrics extends PackageMetrics {
  /** Merge generation of the current merged profile (0: nothing merged). */
  generation: number;
  /** Path of the current merged profile (file or gcda directory), null before the first merge. */
  mergedPath: string | null;
}

/** The metrics of every package the collector knows, from its records. */
export function metricsFromRecords(records: readonly PackageRecord[]): Map<string, CollectedMetrics> {
  return new Map(
    records.map((r) => [
      r.name,
      {
        mergedBytes: r.mergedBytes,
        bytesHarvested: r.bytesHarvested,
        runs: r.runs ?? 0,
        convergence: r.overlap,
        generation: r.generation,
        mergedPath: r.mergedPath,
      },
    ]),
  );
}

export type ReadinessPolicy = Pick<Policy, 'thresholdMB' | 'minRuns' | 'convergence'>;

export type BlockerKind = 'no-profile' | 'threshold' | 'min-runs' | 'convergence-unmeasured' | 'convergence';

export interface Blocker {
  kind: BlockerKind;
  message: string;
}

export interface Readiness {
  ready: boolean;
  /** One sentence for humans, e.g. "0.4 of 1.0 MB collected". */
  reason: string;
  /** 0..1 toward the data threshold (the progress bar). */
  progress: number;
  /** Empty exactly when ready. */
  blockers: Blocker[];
}

/**
 * MB with one decimal (two significant digits below 0.1 MB). `down` rounds
 * down, so an amount still short of the threshold never shows as reaching it.
 */
export function formatMB(megabytes: number, rounding: 'nearest' | 'down' = 'nearest'): string {
  if (megabytes <= 0) return '0';
  const decimals = megabytes >= 0.1 ? 1 : 1 - Math.floor(Math.log10(megabytes));
  const scaled = megabytes * 10 ** decimals;
  // The small epsilon keeps 0.3 * 10 = 2.9999... from rounding down to 2.
  const rounded = rounding === 'down' ? Math.floor(scaled + 1e-9) : Math.round(scaled);
  return (rounded / 10 ** decimals).toFixed(decimals);
}

function pluralize(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

export function decideReadiness(metrics: PackageMetrics, policy: ReadinessPolicy): Readiness {
  const thresholdBytes = policy.thresholdMB * BYTES_PER_MB;
  const collectedMB = metrics.bytesHarvested / BYTES_PER_MB;
  const progress = thresholdBytes > 0 ? Math.min(1, Math.max(0, metrics.bytesHarvested / thresholdBytes)) : 1;
  const short = metrics.bytesHarvested < thresholdBytes;
  const collected = `${formatMB(collectedMB, short ? 'down' : 'nearest')} of ${formatMB(policy.thresholdMB)} MB collected`;
  const blockers: Blocker[] = [];

  if (metrics.mergedBytes <= 0) blockers.push({ kind: 'no-profile', message: 'no merged profile yet' });
  if (short) blockers.push({ kind: 'threshold', message: collected });
  if (metrics.runs < policy.minRuns) blockers.push({ kind: 'min-runs', message: `${metrics.runs} of ${pluralize(policy.minRuns, 'run')} seen` });
  if (policy.convergence !== null) {
    if (metrics.convergence === null) {
      blockers.push({ kind: 'convergence-unmeasured', message: `convergence not measured yet (needs two merges; target ${policy.convergence})` });
    } else if (metrics.convergence < policy.convergence) {
      blockers.push({ kind: 'convergence', message: `profiles overlap ${metrics.convergence.toFixed(3)}, target ${policy.convergence}` });
    }
  }

  if (blockers.length > 0) return { ready: false, reason: blockers.map((b) => b.message).join('; '), progress, blockers };

  const parts = [collected, pluralize(metrics.runs, 'run')];
  if (policy.convergence !== null && metrics.convergence !== null) parts.push(`overlap ${metrics.convergence.toFixed(3)} ≥ ${policy.convergence}`);
  return { ready: true, reason: `ready: ${parts.join(', ')}`, progress, blockers };
}
