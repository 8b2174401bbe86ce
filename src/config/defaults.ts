/**
 * The embedded defaults, so a config that lists only packages (or no config at
 * all) works for a user who has nothing but Nix.
 */
import type { CollectorConfig, Policy, UpgradePolicy } from './config-types.js';

export const BYTES_PER_MB = 1024 * 1024;

/** A refresh window collects this share of `thresholdMB` unless `upgrades.refreshMB` says otherwise. */
export const DEFAULT_REFRESH_SHARE = 0.1;

/** `refreshMB` is left out: it defaults to DEFAULT_REFRESH_SHARE of the effective thresholdMB. */
export const DEFAULT_UPGRADES: Readonly<Omit<UpgradePolicy, 'refreshMB'>> = Object.freeze({
  checkMinutes: 60,
  refreshBelow: 0.9,
  refreshRuns: 0,
  refreshHours: 24,
});

// Frozen because every normalized policy starts as a copy of it.
export const DEFAULT_POLICY: Readonly<Policy> = Object.freeze({
  thresholdMB: 1,
  minRuns: 0,
  convergence: null,
  onReady: 'switch',
  buildTimeoutMinutes: 60,
  retry: Object.freeze({ initialDelaySeconds: 60, maxDelaySeconds: 3600 }),
  maxContributorShare: 0.5,
  upgrades: Object.freeze({ ...DEFAULT_UPGRADES, refreshMB: 1 * DEFAULT_REFRESH_SHARE }),
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
});
