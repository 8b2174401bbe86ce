/**
 * The embedded defaults, so a config that lists only packages (or no config at
 * all) works for a user who has nothing but Nix.
 */
import type { CollectorConfig, Policy } from './config-types.js';

export const BYTES_PER_MB = 1024 * 1024;

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
  mergeConcurrency: 2,
  liveSnapshotMs: 30 * 1000,
});
