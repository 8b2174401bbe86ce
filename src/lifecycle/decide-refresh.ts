/**
 * When a refresh window ends (pure): once the merges of fresh data added the
 * policy's counts or runs, or once its hours have passed. A window that ends
 * with no data at all gives up and puts the optimized build back.
 */
import type { UpgradePolicy } from '../config/config-types.js';
import { countUnit, formatCounts } from '../config/format-counts.js';
import type { PackageMetrics, Readiness } from './decide-readiness.js';

export interface RefreshDecision extends Readiness {
  /** The window is over without any data: back to the optimized build it started from. */
  giveUp: boolean;
}

/** The window's bounds in words, e.g. "0.1G counts of fresh data, 20 runs or 24 h, whichever comes first". */
export function describeRefreshWindow(policy: UpgradePolicy): string {
  const bounds = [`${formatCounts(policy.refreshCounts)} counts of fresh data`];
  if (policy.refreshRuns > 0) bounds.push(`${policy.refreshRuns} run${policy.refreshRuns === 1 ? '' : 's'}`);
  bounds.push(`${policy.refreshHours} h`);
  return `${bounds.slice(0, -1).join(', ')} or ${bounds.at(-1)}, whichever comes first`;
}

export function decideRefresh(
  metrics: PackageMetrics,
  policy: UpgradePolicy,
  startedAt: string,
  now: Date,
): RefreshDecision {
  const target = policy.refreshCounts;
  const progress = Math.min(1, Math.max(0, metrics.counts / target));
  const hasData = metrics.mergedBytes > 0;
  const expired = now.getTime() - Date.parse(startedAt) >= policy.refreshHours * 3_600_000;
  const enoughData = metrics.counts >= target;
  const enoughRuns = policy.refreshRuns > 0 && metrics.runs >= policy.refreshRuns;
  const unit = countUnit(target);
  const collected = `${formatCounts(metrics.counts, unit, enoughData ? 'nearest' : 'down')} of ${formatCounts(target, unit)} counts of fresh data`;
  const ready = hasData && (enoughData || enoughRuns || expired);
  const why = enoughData
    ? collected
    : enoughRuns
      ? `${metrics.runs} runs of fresh data`
      : expired
        ? `the window of ${policy.refreshHours} h is over (${collected})`
        : `${collected} (the window ends at ${describeRefreshWindow(policy)})`;
  return {
    ready,
    giveUp: expired && !hasData,
    reason: ready ? `refresh window done: ${why}` : `refreshing: ${why}`,
    progress,
    blockers: ready ? [] : [{ kind: 'threshold', message: collected }],
    measures: [],
  };
}
