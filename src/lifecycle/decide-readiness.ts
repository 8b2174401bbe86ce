/**
 * Whether a package has enough profile data to build its optimized variant,
 * and why (or why not) in words a status line can show.
 */
import type { Policy } from '../config/config-types.js';
import { countUnit, formatCounts } from '../config/format-counts.js';
import type { PackageRecord } from '../state/package-records.js';

export interface PackageMetrics {
  /** Size of the current merged profile; 0 when nothing has been merged. */
  mergedBytes: number;
  /** Raw profile bytes harvested from the spool so far (a live file counts once). */
  bytesHarvested: number;
  /**
   * What the threshold counts: the sum of every counter the merges added, from exited programs' files and from what
   * running programs' live files grew, so a day of one program's work counts as much as the same work in short runs.
   */
  counts: number;
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
        counts: r.countsMerged,
        runs: r.runs ?? 0,
        convergence: r.overlap,
        generation: r.generation,
        mergedPath: r.mergedPath,
      },
    ]),
  );
}

export type ReadinessPolicy = Pick<Policy, 'thresholdCounts' | 'minRuns' | 'convergence'>;

export type BlockerKind = 'no-profile' | 'threshold' | 'min-runs' | 'convergence-unmeasured' | 'convergence';

export interface Blocker {
  kind: BlockerKind;
  message: string;
}

export interface Readiness {
  ready: boolean;
  /** One sentence for humans, e.g. "0.4M of 1.0M counts collected". */
  reason: string;
  /** 0..1 toward the data threshold (the progress bar). */
  progress: number;
  /** Empty exactly when ready. */
  blockers: Blocker[];
  /** Each measure the policy looks at, worded the same way wherever it is shown. */
  measures: Measure[];
}

/** One measure of a package's data: what there is, what the policy needs, and what is still missing. */
export interface Measure {
  kind: 'data' | 'runs' | 'convergence';
  /** E.g. "0.9M of 1.0M counts", "3 of 5 runs", "3 runs", "overlap 0.985 of 0.990", "overlap not measured yet". */
  text: string;
  /** E.g. "0.2M counts more", "2 more runs"; null when met or not asked for. */
  missing: string | null;
  met: boolean;
}

function pluralize(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The measures in the words status and the reasons share; amounts short of a target are rounded down. */
export function describeMeasures(metrics: PackageMetrics, policy: ReadinessPolicy): Measure[] {
  const threshold = policy.thresholdCounts;
  const short = metrics.counts < threshold;
  // The amounts in the threshold's unit, so they compare at a glance.
  const unit = countUnit(threshold);
  const measures: Measure[] = [
    {
      kind: 'data',
      text: `${formatCounts(metrics.counts, unit, short ? 'down' : 'nearest')} of ${formatCounts(threshold, unit)} counts`,
      // Rounded up, so "0.1M counts more" is never shown when 0.15M are missing.
      missing: short ? `${formatCounts(threshold - metrics.counts, unit, 'up')} counts more` : null,
      met: !short,
    },
    {
      kind: 'runs',
      text:
        policy.minRuns > 0 ? `${metrics.runs} of ${pluralize(policy.minRuns, 'run')}` : pluralize(metrics.runs, 'run'),
      missing:
        metrics.runs < policy.minRuns
          ? `${policy.minRuns - metrics.runs} more run${policy.minRuns - metrics.runs === 1 ? '' : 's'}`
          : null,
      met: metrics.runs >= policy.minRuns,
    },
  ];
  if (policy.convergence !== null) {
    const target = policy.convergence.toFixed(3);
    measures.push(
      metrics.convergence === null
        ? {
            kind: 'convergence',
            text: `overlap not measured yet (target ${target})`,
            missing: 'a second merge',
            met: false,
          }
        : {
            kind: 'convergence',
            text: `overlap ${formatOverlap(metrics.convergence, metrics.convergence < policy.convergence)} of ${target}`,
            missing: metrics.convergence < policy.convergence ? 'more data, until successive merges agree' : null,
            met: metrics.convergence >= policy.convergence,
          },
    );
  }
  return measures;
}

/** Three decimals; short of the target, rounded down so 0.9996 of 1.000 does not read as reached. */
function formatOverlap(value: number, short: boolean): string {
  return (short ? Math.floor(value * 1000) / 1000 : value).toFixed(3);
}

export function decideReadiness(metrics: PackageMetrics, policy: ReadinessPolicy): Readiness {
  const threshold = policy.thresholdCounts;
  const progress = threshold > 0 ? Math.min(1, Math.max(0, metrics.counts / threshold)) : 1;
  const measures = describeMeasures(metrics, policy);
  const [data, runs, convergence] = measures;
  const collected = `${data!.text} collected`;
  const blockers: Blocker[] = [];

  if (metrics.mergedBytes <= 0) blockers.push({ kind: 'no-profile', message: 'no merged profile yet' });
  if (!data!.met) blockers.push({ kind: 'threshold', message: collected });
  if (!runs!.met) blockers.push({ kind: 'min-runs', message: `${runs!.text} seen` });
  if (convergence && !convergence.met) {
    blockers.push(
      metrics.convergence === null
        ? { kind: 'convergence-unmeasured', message: `${convergence.text}; it needs two merges` }
        : { kind: 'convergence', message: convergence.text },
    );
  }

  if (blockers.length > 0)
    return { ready: false, reason: blockers.map((b) => b.message).join('; '), progress, blockers, measures };
  const parts = [collected, runs!.text, ...(convergence ? [convergence.text] : [])];
  return { ready: true, reason: `ready: ${parts.join(', ')}`, progress, blockers, measures };
}
