/**
 * The data behind `nix-pgo status`: per package, where it is and why, each
 * measure of its data and what is still missing, who contributed it, and what
 * is active. Pure: the caller reads the lifecycle records, the collector's
 * metrics and contributions, and the profile's generation.
 */
import type { Config } from '../config/config-types.js';
import {
  decideReadiness,
  describeMeasures,
  NO_METRICS,
  type CollectedMetrics,
  type Measure,
} from '../lifecycle/decide-readiness.js';
import { planContributorWeights } from '../merge/plan-merge.js';
import type { ContributionRecord } from '../state/package-records.js';
import type { BoltFileOutcome } from '../formats/manifest.js';
import { boltDataName } from '../model/variants.js';
import { decideRefresh, describeRefreshWindow } from '../lifecycle/decide-refresh.js';
import { describeOrigin } from '../lifecycle/next-record.js';
import type {
  ActiveBuild,
  BuildRecord,
  HistoryEntry,
  LifecycleRecord,
  MatchRecord,
  PackageOrigin,
  UpgradeRecord,
} from '../model/lifecycle-record.js';
import type { QuarantineSummary } from '../state/quarantine-records.js';
import type { SpoolReport } from '../state/spool-report.js';
import type { ProfileCollision } from '../activate/profile-collisions.js';
import { judgeDaemon, type DaemonStatus } from './daemon-state.js';
import type { FleetStatus } from './fleet-status.js';

export interface PackageStatus {
  name: string;
  /** The lifecycle state, except `building` while any build of the package runs. */
  state: LifecycleRecord['state'];
  /** The build running now, how long it has run, and where its log grows. */
  building: (ActiveBuild & { elapsedSeconds: number }) | null;
  reason: string;
  /** 0..1 toward the data threshold. */
  progress: number;
  /** The policy's threshold: counts to merge before building. */
  thresholdCounts: number;
  /** Counts merged so far (the sum of every counter the merges added): what the threshold measures. */
  counts: number;
  /** Raw profile bytes harvested (a live file counts once). */
  bytesHarvested: number;
  runs: number;
  convergence: number | null;
  mergeGeneration: number;
  /** Data, runs and (when the policy asks) convergence, each with what is missing. */
  measures: Measure[];
  /** Who the merged profile's data comes from, and each one's share of it after the cap. */
  contributors: ContributorStatus[];
  /** Live profiles of programs in continuous collection, whose counts are merged while they run. */
  live: LiveStatus | null;
  /** Files of this package's active variant that another managed package's active variant ships too. */
  collisions: ProfileCollision[];
  activeVariant: LifecycleRecord['activeVariant'];
  activePath: string | null;
  generation: number | null;
  profileStorePath: string | null;
  failures: number;
  nextRetryAt: string | null;
  held: boolean;
  lastBuild: BuildRecord | null;
  /** BOLT after PGO: null when the config does not ask for it and no BOLT variant was ever built. */
  bolt: BoltStatus | null;
  /** The package and derivation of the active variant (`name-version`), when recorded. */
  active: (PackageOrigin & { words: string }) | null;
  /** The instrumented build whose runs the profile holds. */
  profileSource: (PackageOrigin & { words: string }) | null;
  /** When the derivation was last compared with the Nix file's, and what failed then. */
  checkedAt: string | null;
  checkError: string | null;
  /** The derivation changed under the active variant: what the carry-over builds. */
  upgrade: UpgradeRecord | null;
  /** How much of the active optimized variant's profile its derivation uses. */
  match: MatchRecord | null;
  /** A refresh window in progress: its start, the profile carried, its progress toward its bound. */
  refresh: { startedAt: string; carried: string; progress: number; window: string } | null;
  /** Each profile and version the package went through, oldest first. */
  history: HistoryEntry[];
}

export interface BoltStatus {
  /** 0..1 toward the BOLT data threshold. */
  progress: number;
  /** The BOLT policy's measures of the BOLT data. */
  measures: Measure[];
  mergeGeneration: number;
  runs: number;
  /** The BOLT profile the BOLT-optimized variant was built with. */
  profileStorePath: string | null;
  /** What the active BOLT variant's build did with each ELF file (instrumented, optimized, or kept as PGO built it, and why). */
  files: BoltFileOutcome[];
}

export interface LiveStatus {
  /** Live files whose programs ran when they were last read. */
  running: number;
  lastSnapshot: string | null;
  /** Read recently by a daemon that runs now; false: what they show is old (the daemon stopped, or has not read them for 3 intervals). */
  current: boolean;
}

export interface ContributorStatus {
  uid: number;
  /** The user's name, when it is known. */
  user: string | null;
  /** Counts merged from this contributor (before the share cap). */
  counts: number;
  bytesHarvested: number;
  runs: number;
  /** 0..1 of the package's merged profile. */
  share: number;
}

export interface Status {
  stateDir: string;
  nixProfile: string;
  profileGeneration: number | null;
  packages: PackageStatus[];
  /** Files the engine could not merge, kept aside with their reason. */
  quarantine: QuarantineSummary | null;
  /** What the last pass left alone in the spool (other users' and daemons' files) and the squats it saw. */
  spool: SpoolReport | null;
  /** Whether the daemon runs, and since when (or since when not). */
  daemon: DaemonStatus;
  /** Managed packages whose active variants ship the same program, and which one the Nix profile links. */
  collisions: ProfileCollision[];
  /** Engine-wide conditions a user must know about (disk cap reached, quarantined files). */
  warnings: string[];
  /** This machine's part in a fleet (gather-status adds it); absent or null: none. */
  fleet?: FleetStatus | null;
}

export function collectStatus(input: {
  config: Config;
  records: readonly LifecycleRecord[];
  metrics: ReadonlyMap<string, CollectedMetrics>;
  profileGeneration: number | null;
  quarantine?: QuarantineSummary | null;
  spool?: SpoolReport | null;
  contributions?: ReadonlyMap<string, readonly ContributionRecord[]>;
  userNames?: ReadonlyMap<number, string>;
  live?: ReadonlyMap<string, { running: number; lastSnapshot: string | null }>;
  /** Per package: the file outcomes from the manifest of its active BOLT variant. */
  boltFiles?: ReadonlyMap<string, BoltFileOutcome[]>;
  daemon?: DaemonStatus;
  collisions?: readonly ProfileCollision[];
  now?: Date;
}): Status {
  const now = input.now ?? new Date();
  const daemon = input.daemon ?? judgeDaemon({ holder: 0 }, null);
  const collisions = [...(input.collisions ?? [])];
  // Read at every snapshot interval while programs run: three missed in a row, and what they show is old.
  const current = (last: string | null) =>
    daemon.state === 'running' &&
    last !== null &&
    now.getTime() - Date.parse(last) <= 3 * input.config.collector.liveSnapshotMs;
  const records = new Map(input.records.map((r) => [r.name, r] as const));
  const packages = input.config.packages.map((pkg): PackageStatus => {
    const record = records.get(pkg.name) ?? null;
    const m = input.metrics.get(pkg.name);
    const readiness = m ? decideReadiness(m, pkg.policy) : null;
    const contributions = input.contributions?.get(pkg.name) ?? [];
    const weights = planContributorWeights(
      new Map(contributions.map((c) => [c.contributor, c.mass])),
      pkg.policy.maxContributorShare,
    );
    const total = contributions.reduce((sum, c) => sum + c.mass * (weights.get(c.contributor) ?? 1), 0);
    const refresh =
      record?.state === 'refreshing' && record.refresh
        ? decideRefresh(m ?? NO_METRICS, pkg.policy.upgrades, record.refresh.startedAt, now)
        : null;
    const activeOrigin = record?.activeVariant ? (record.origins?.[record.activeVariant] ?? null) : null;
    return {
      name: pkg.name,
      state: record?.activeBuild ? 'building' : (record?.state ?? 'vanilla'),
      building: record?.activeBuild
        ? {
            ...record.activeBuild,
            elapsedSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(record.activeBuild.startedAt)) / 1000)),
          }
        : null,
      reason: liveReason(record, readiness, refresh?.reason ?? null, pkg.policy.onReady),
      progress: refresh?.progress ?? readiness?.progress ?? 0,
      thresholdCounts: pkg.policy.thresholdCounts,
      counts: m?.counts ?? 0,
      bytesHarvested: m?.bytesHarvested ?? 0,
      runs: m?.runs ?? 0,
      convergence: m?.convergence ?? null,
      mergeGeneration: m?.generation ?? 0,
      // During a refresh window the data counts toward the window, not toward the first threshold.
      measures: describeMeasures(
        m ?? NO_METRICS,
        refresh
          ? {
              thresholdCounts: pkg.policy.upgrades.refreshCounts,
              minRuns: pkg.policy.upgrades.refreshRuns,
              convergence: null,
            }
          : pkg.policy,
      ),
      live: liveStatus(input.live?.get(pkg.name), current),
      collisions: collisions.filter((c) => c.packages.includes(pkg.name)),
      contributors: contributions.map((c) => ({
        uid: c.contributor,
        user: input.userNames?.get(c.contributor) ?? null,
        counts: c.mass,
        bytesHarvested: c.bytesHarvested,
        runs: c.runs,
        share: total > 0 ? (c.mass * (weights.get(c.contributor) ?? 1)) / total : 0,
      })),
      activeVariant: record?.activeVariant ?? null,
      activePath: record?.activePath ?? null,
      generation: record?.generation ?? null,
      profileStorePath: record?.profileStorePath ?? null,
      failures: record?.failures ?? 0,
      nextRetryAt: record?.nextRetryAt ?? null,
      held: record?.held ?? false,
      lastBuild: record?.lastBuild ?? null,
      bolt:
        pkg.bolt !== null || record?.boltProfilingPath
          ? boltStatus(
              pkg.bolt?.policy ?? pkg.policy,
              input.metrics.get(boltDataName(pkg.name)),
              record,
              input.boltFiles?.get(pkg.name) ?? [],
            )
          : null,
      active: activeOrigin ? { ...activeOrigin, words: describeOrigin(activeOrigin) } : null,
      profileSource: record?.profileSource
        ? { ...record.profileSource, words: describeOrigin(record.profileSource) }
        : null,
      checkedAt: record?.checkedAt ?? null,
      checkError: record?.checkError ?? null,
      upgrade: record?.upgrade ?? null,
      match: record?.match ?? null,
      refresh:
        record?.refresh && refresh
          ? {
              startedAt: record.refresh.startedAt,
              carried: record.refresh.carried.storePath,
              progress: refresh.progress,
              window: describeRefreshWindow(pkg.policy.upgrades),
            }
          : null,
      history: record?.history ?? [],
    };
  });
  return {
    stateDir: input.config.stateDir,
    nixProfile: input.config.nixProfile,
    profileGeneration: input.profileGeneration,
    packages,
    quarantine: input.quarantine ?? null,
    spool: input.spool ?? null,
    daemon,
    collisions,
    warnings: [
      ...describeQuarantine(input.quarantine ?? null, input.config.stateDir),
      ...describeSpool(input.spool ?? null, input.userNames ?? new Map()),
    ],
  };
}

/**
 * Why the package is where it is, from the data as it is now where the record's words come from
 * numbers that have moved since (collecting, a refresh window); else the record's own words.
 */
function liveReason(
  record: LifecycleRecord | null,
  readiness: ReturnType<typeof decideReadiness> | null,
  refreshReason: string | null,
  onReady: Config['policy']['onReady'],
): string {
  if (!record) return 'not built yet: the daemon builds the profiling variant first';
  const settled = !record.held && !record.activeBuild && record.failures === 0;
  if (!settled) return record.reason;
  if (record.state === 'refreshing' && refreshReason) return refreshReason;
  if (readiness === null || !['collecting', 'ready'].includes(record.state)) return record.reason;
  if (record.state === 'ready' && onReady === 'notify')
    return `${readiness.reason}; run \`nix-pgo build ${record.name}\` to build and switch`;
  return readiness.reason;
}

function liveStatus(
  live: { running: number; lastSnapshot: string | null } | undefined,
  current: (last: string | null) => boolean,
): LiveStatus | null {
  return live ? { ...live, current: current(live.lastSnapshot) } : null;
}

function boltStatus(
  policy: Config['policy'],
  m: CollectedMetrics | undefined,
  record: LifecycleRecord | null,
  files: BoltFileOutcome[],
): BoltStatus {
  const metrics = m ?? NO_METRICS;
  return {
    progress: decideReadiness(metrics, policy).progress,
    measures: describeMeasures(metrics, policy),
    mergeGeneration: metrics.generation,
    runs: metrics.runs,
    profileStorePath: record?.boltProfileStorePath ?? null,
    files,
  };
}

/** One line a user can act on when files were quarantined (pure). */
export function describeQuarantine(q: QuarantineSummary | null, stateDir: string): string[] {
  if (!q || q.count === 0) return [];
  const reasons = Object.entries(q.byReason)
    .map(([reason, n]) => `${n} ${reason}`)
    .join(', ');
  return [
    `${q.count} spool file(s) quarantined (${reasons}); they are kept in ${stateDir}/quarantine, see docs/harvest.md`,
  ];
}

/** Lines about what the spool holds that is not ours: files left alone, and user directories others took (pure). */
export function describeSpool(report: SpoolReport | null, names: ReadonlyMap<number, string>): string[] {
  if (!report) return [];
  const who = (uid: number) => (names.has(uid) ? `${names.get(uid)} (uid ${uid})` : `uid ${uid}`);
  const lines: string[] = [];
  const { files, bytes } = report.leftAlone;
  if (files > 0)
    lines.push(
      `${files} file${files === 1 ? '' : 's'} of other users/daemons left alone (${(bytes / 1048576).toFixed(1)} MB): untrusted users or builds no managed package has; not read, not taken`,
    );
  for (const s of report.squats) {
    const fate = s.movedTo ? `moved aside to ${s.movedTo}` : s.cleared ? 'removed' : 'still there: remove it';
    lines.push(
      `${who(s.uid)}'s directory in ${s.dir} was squatted by ${who(s.by)} (last seen ${s.lastSeen}); ${fate}; their programs write to a fallback directory meanwhile`,
    );
  }
  if (report.movedAside.length > 0)
    lines.push(
      `${report.movedAside.length} squatted entr${report.movedAside.length === 1 ? 'y' : 'ies'} moved aside and never read: ${report.movedAside.slice(0, 3).join(', ')}${report.movedAside.length > 3 ? ', ...' : ''} (root may remove them)`,
    );
  return lines;
}
