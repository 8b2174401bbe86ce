/**
 * When a refresh window ends (pure): once the fresh data reaches the
 * policy's MB or runs, or once its hours have passed. A window that ends
 * with no data at all gives up and puts the optimized build back.
 */
import type { UpgradePolicy } from '../config/config-types.js';
import { BYTES_PER_MB } from '../config/defaults.js';
import { formatMB, type PackageMetrics, type Readiness } from './decide-readiness.js';

export interface RefreshDecision extends Readiness {
  /** The window is over without any data: back to the optimized build it started from. */
  giveUp: boolean;
}

/** The window's bounds in words, e.g. "0.1 MB of fresh data, 20 runs or 24 h, whichever comes first". */
export function describeRefreshWindow(policy: UpgradePolicy): string {
  const bounds = [`${formatMB(policy.refreshMB)} MB of fresh data`];
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
  const target = policy.refreshMB * BYTES_PER_MB;
  const progress = Math.min(1, Math.max(0, metrics.bytesHarvested / target));
  const hasData = metrics.mergedBytes > 0;
  const expired = now.getTime() - Date.parse(startedAt) >= policy.refreshHours * 3_600_000;
  const enoughData = metrics.bytesHarvested >= target;
  const enoughRuns = policy.refreshRuns > 0 && metrics.runs >= policy.refreshRuns;
  const collected = `${formatMB(metrics.bytesHarvested / BYTES_PER_MB, enoughData ? 'nearest' : 'down')} of ${formatMB(policy.refreshMB)} MB of fresh data`;
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
