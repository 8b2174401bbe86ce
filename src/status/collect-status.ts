/**
 * The data behind `nix-pgo status`: per package, where it is and why, how far
 * toward the threshold, and what is active. Pure: the caller reads the lifecycle records,
 * the engine's metrics and the profile's generation.
 */
import type { Config } from '../config/config-types.js';
import { decideReadiness, type CollectedMetrics } from '../lifecycle/decide-readiness.js';
import type { BuildRecord, LifecycleRecord } from '../state/lifecycle-records.js';
import type { QuarantineSummary } from '../state/quarantine-records.js';

export interface PackageStatus {
  name: string;
  state: LifecycleRecord['state'];
  reason: string;
  /** 0..1 toward the data threshold. */
  progress: number;
  thresholdMB: number;
  bytesHarvested: number;
  runs: number;
  convergence: number | null;
  mergeGeneration: number;
  activeVariant: LifecycleRecord['activeVariant'];
  activePath: string | null;
  generation: number | null;
  profileStorePath: string | null;
  failures: number;
  nextRetryAt: string | null;
  held: boolean;
  lastBuild: BuildRecord | null;
}

export interface Status {
  stateDir: string;
  nixProfile: string;
  profileGeneration: number | null;
  packages: PackageStatus[];
  /** Files the engine could not merge, kept aside with their reason. */
  quarantine: QuarantineSummary | null;
  /** Engine-wide conditions a user must know about (disk cap reached, quarantined files). */
  warnings: string[];
}

export function collectStatus(input: {
  config: Config;
  records: readonly LifecycleRecord[];
  metrics: ReadonlyMap<string, CollectedMetrics>;
  profileGeneration: number | null;
  quarantine?: QuarantineSummary | null;
}): Status {
  const records = new Map(input.records.map((r) => [r.name, r] as const));
  const packages = input.config.packages.map((pkg): PackageStatus => {
    const record = records.get(pkg.name) ?? null;
    const m = input.metrics.get(pkg.name);
    const readiness = m ? decideReadiness(m, pkg.policy) : null;
    return {
      name: pkg.name,
      state: record?.state ?? 'vanilla',
      reason: record?.reason ?? 'not built yet: the daemon builds the profiling variant first',
      progress: readiness?.progress ?? 0,
      thresholdMB: pkg.policy.thresholdMB,
      bytesHarvested: m?.bytesHarvested ?? 0,
      runs: m?.runs ?? 0,
      convergence: m?.convergence ?? null,
      mergeGeneration: m?.generation ?? 0,
      activeVariant: record?.activeVariant ?? null,
      activePath: record?.activePath ?? null,
      generation: record?.generation ?? null,
      profileStorePath: record?.profileStorePath ?? null,
      failures: record?.failures ?? 0,
      nextRetryAt: record?.nextRetryAt ?? null,
      held: record?.held ?? false,
      lastBuild: record?.lastBuild ?? null,
    };
  });
  return {
    stateDir: input.config.stateDir,
    nixProfile: input.config.nixProfile,
    profileGeneration: input.profileGeneration,
    packages,
    quarantine: input.quarantine ?? null,
    warnings: describeQuarantine(input.quarantine ?? null, input.config.stateDir),
  };
}

/** One line a user can act on when files were quarantined (pure). */
export function describeQuarantine(q: QuarantineSummary | null, stateDir: string): string[] {
  if (!q || q.count === 0) return [];
  const reasons = Object.entries(q.byReason)
    .map(([reason, n]) => `${n} ${reason}`)
    .join(', ');
  return [`${q.count} spool file(s) quarantined (${reasons}); they are kept in ${stateDir}/quarantine, see docs/harvest.md`];
}
