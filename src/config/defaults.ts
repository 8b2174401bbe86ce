/**
 * The embedded defaults, so a config that lists only packages (or no config at
 * all) works for a user who has nothing but Nix.
 */
import type { CollectorConfig, Policy, UpgradePolicy } from './config-types.js';

export const BYTES_PER_MB = 1024 * 1024;

/** A refresh window collects this share of `thresholdCounts` unless `upgrades.refreshCounts` says otherwise. */
export const DEFAULT_REFRESH_SHARE = 0.1;

/** `refreshCounts` is left out: it defaults to DEFAULT_REFRESH_SHARE of the effective thresholdCounts. */
export const DEFAULT_UPGRADES: Readonly<Omit<UpgradePolicy, 'refreshCounts'>> = Object.freeze({
  checkMinutes: 60,
  refreshBelow: 0.9,
  refreshRuns: 0,
  refreshHours: 24,
});
/**
 * A `thresholdMB` of N (the measure before counts) is read as N billion counts: about what a megabyte of raw
 * profiles carried for the programs measured (from 3·10^8 to 4·10^10), and it keeps the default 1 the default.
 */
export const COUNTS_PER_THRESHOLD_MB = 1_000_000_000;

// Frozen because every normalized policy starts as a copy of it.
export const DEFAULT_POLICY: Readonly<Policy> = Object.freeze({
  thresholdCounts: COUNTS_PER_THRESHOLD_MB,
  minRuns: 0,
  convergence: null,
  onReady: 'switch',
  buildTimeoutMinutes: 60,
  retry: Object.freeze({ initialDelaySeconds: 60, maxDelaySeconds: 3600 }),
  maxContributorShare: 0.5,
  upgrades: Object.freeze({ ...DEFAULT_UPGRADES, refreshCounts: COUNTS_PER_THRESHOLD_MB * DEFAULT_REFRESH_SHARE }),
});

/** Without `trustedUsers`, only the user the daemon runs as contributes. */
export const DEFAULT_TRUSTED_USERS = Object.freeze({
  anyone: false as const,
  users: Object.freeze([]) as readonly (string | number)[],
});

export const DEFAULT_PROFILE_ARG = 'pgoProfiles';

export const DEFAULT_BOLT_PROFILE_ARG = 'boltProfiles';

export const DEFAULT_COLLECTOR: Readonly<CollectorConfig> = Object.freeze({
  spoolCapBytes: 2048 * BYTES_PER_MB,
  quarantineCapBytes: 256 * BYTES_PER_MB,
  maxFileBytes: 256 * BYTES_PER_MB,
  batchSize: 256,
  mergeConcurrency: 4,
  liveSnapshotMs: 30 * 1000,
});

/** A fleet's rounds every 5 minutes; a tenth of the machines keep profiling; a machine whose build the cache lacks builds it. */
export const DEFAULT_FLEET = Object.freeze({
  intervalSeconds: 300,
  profilingDuty: 0.1,
  fallback: 'build' as const,
});
