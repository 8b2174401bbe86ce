/**
 * The data behind `nix-pgo status`: per package, where it is and why, how far
 * toward the threshold, and what is active. Pure: the caller reads the slots,
 * the engine's metrics and the profile's generation.
 */
import type { Config } from '../config/config-types.js';
import { decideReadiness } from '../lifecycle/decide-readiness.js';
import type { SlotMetrics } from '../lifecycle/plan-tick.js';
import type { BuildRecord, SlotRow } from '../state/lifecycle-records.js';
import type { QuarantineSummary } from '../state/quarantine-records.js';

export interface PackageStatus {
  name: string;
  state: SlotRow['state'];
  reason: string;
  /** 0..1 toward the data threshold. */
  progress: number;
  thresholdMB: number;
  bytesHarvested: number;
  runs: number;
  convergence: number | null;
  mergeGeneration: number;
  activeVariant: SlotRow['activeVariant'];
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
  slots: readonly SlotRow[];
  metrics: ReadonlyMap<string, SlotMetrics>;
  profileGeneration: number | null;
  quarantine?: QuarantineSummary | null;
}): Status {
  const slots = new Map(input.slots.map((s) => [s.name, s] as const));
  const packages = input.config.packages.map((pkg): PackageStatus => {
    const slot = slots.get(pkg.name) ?? null;
    const m = input.metrics.get(pkg.name);
    const readiness = m ? decideReadiness(m, pkg.policy) : null;
    return {
      name: pkg.name,
      state: slot?.state ?? 'vanilla',
      reason: slot?.reason ?? 'not built yet: the daemon builds the profiling variant first',
      progress: readiness?.progress ?? 0,
      thresholdMB: pkg.policy.thresholdMB,
      bytesHarvested: m?.bytesHarvested ?? 0,
      runs: m?.runs ?? 0,
      convergence: m?.convergence ?? null,
      mergeGeneration: m?.generation ?? 0,
      activeVariant: slot?.activeVariant ?? null,
      activePath: slot?.activePath ?? null,
      generation: slot?.generation ?? null,
      profileStorePath: slot?.profileStorePath ?? null,
      failures: slot?.failures ?? 0,
      nextRetryAt: slot?.nextRetryAt ?? null,
      held: slot?.held ?? false,
      lastBuild: slot?.lastBuild ?? null,
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
