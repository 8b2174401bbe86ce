/**
 * The normalized configuration: every default applied, every path absolute.
 * The rest of nix-pgo reads only this shape, never the JSON file.
 */

/** What the daemon does once a package's data meets its policy. */
export type OnReady = 'switch' | 'notify';

export interface RetryPolicy {
  /** Wait after the first failed build. */
  initialDelaySeconds: number;
  /** The wait doubles per failure up to this. */
  maxDelaySeconds: number;
}

/** Keeping a profile through upgrades of the package (docs/daemon.md, "When a package's derivation changes"). */
export interface UpgradePolicy {
  /** How often the daemon compares each package's derivation with the Nix file's (also at start, on reload, on `nix-pgo check`). */
  checkMinutes: number;
  /** A profile whose counts apply to less than this share (0..1) of the new derivation is refreshed; 0: never. */
  refreshBelow: number;
  /** A refresh window ends once the merges of fresh data added this many counts... */
  refreshCounts: number;
  /** ...or this many instrumented runs are seen (0: no bound in runs)... */
  refreshRuns: number;
  /** ...or after this many hours, with whatever it has (nothing: back to the optimized build it started from). */
  refreshHours: number;
}

export interface Policy {
  /**
   * Counts to merge before building: the sum of every counter the merges added, from running programs' live
   * profiles (what they grew since the last snapshot) and exited programs' files alike (`thresholdMB` in the file
   * is read as billions of counts).
   */
  thresholdCounts: number;
  /** Instrumented runs to see before building (0: no minimum). */
  minRuns: number;
  /** Overlap (0..1) successive merged profiles must reach; null: not required. */
  convergence: number | null;
  /** `switch`: build and switch by itself; `notify`: tell the user, who runs `nix-pgo build`. */
  onReady: OnReady;
  /** A `nix-build` running longer than this is stopped and counts as failed. */
  buildTimeoutMinutes: number;
  retry: RetryPolicy;
  /** The largest share (0..1] of a merged profile one contributor may have when several contributed. */
  maxContributorShare: number;
  upgrades: UpgradePolicy;
}

/**
 * Whose profile data counts. The user the daemon runs as always does; names
 * are resolved to user ids when the daemon starts.
 */
export type TrustedUsers = { anyone: true } | { anyone: false; users: readonly (string | number)[] };

export interface PackageConfig {
  /** The key under `packages`; names the package in state, status and the lock file. */
  name: string;
  /** Absolute path of the .nix file (or directory), or a `<lookup>` path kept as written. */
  nixFile: string;
  /** Attribute path in that file; variants are `ATTR.pgo.profile` and `ATTR.pgo.optimized`. */
  attr: string;
  /** Name of the `--arg` through which the expression takes the selected profiles. */
  profileArg: string;
  /** The global policy with this package's overrides applied. */
  policy: Policy;
  /** The top-level `trustedUsers`, or this package's own list. */
  trustedUsers: TrustedUsers;
  /** BOLT after PGO (`ATTR.pgo.boltProfile`, then `ATTR.pgo.boltOptimized`); null: PGO only. */
  bolt: BoltConfig | null;
}

export interface BoltConfig {
  /** Name of the `--arg` through which the expression takes the selected BOLT profiles. */
  profileArg: string;
  /** The package's policy with the BOLT overrides applied: when BOLT data is enough. */
  policy: Policy;
}

export interface NotifyConfig {
  /** Absolute path of an executable that gets each event as JSON on stdin; null: none. */
  hook: string | null;
  /** Desktop notifications (notify-send) where the daemon has a session bus. */
  desktop: boolean;
}

/** What the collector may hold and use: disk caps, the largest spool file, how much it takes and merges at once. */
export interface CollectorConfig {
  /** The spool's size at which it counts as full (status says so, the hook hears a disk-cap event). */
  spoolCapBytes: number;
  /** The quarantine's size at which it keeps no more copies (reasons are still recorded). */
  quarantineCapBytes: number;
  /** A single spool file larger than this is quarantined unread. */
  maxFileBytes: number;
  /** Spool files locked and copied together; bounds open descriptors. */
  batchSize: number;
  /** Packages merged at the same time. */
  mergeConcurrency: number;
  /** How often the live profiles of running programs are read while any exist (continuous collection). */
  liveSnapshotMs: number;
}

/** A public key as the config gives it: the key itself (`name:base64`), or the file that holds one (absolute). */
export type KeySource = { key: string } | { file: string };

/** This machine in a fleet (docs/fleet.md): what it publishes, where, and whose signatures count. */
export interface FleetConfig {
  role: 'member' | 'aggregator';
  /** The binary cache's URL (file:// or http(s)://), without a trailing slash. */
  cache: string;
  /** This machine's Nix signing key; the key's name is the machine's name in the fleet. */
  secretKeyFile: string;
  /** The aggregator's public key (members); null on the aggregator, whose own key is it. */
  aggregatorKey: KeySource | null;
  /** The machines whose profiles count (aggregator). */
  machineKeys: KeySource[];
  intervalMs: number;
  /** The share of machines that keep the profiling variant after the fleet switched (aggregator). */
  profilingDuty: number;
  /** When the cache lacks the fleet's build for this machine's derivation: build it here, or wait. */
  fallback: 'build' | 'wait';
}

export interface Config {
  /** Absolute path of the file this came from; null when no file exists (defaults only). */
  file: string | null;
  stateDir: string;
  spoolDir: string;
  /** The Nix profile that holds the active variant of every managed package. */
  nixProfile: string;
  /** The global policy (before per-package overrides). */
  policy: Policy;
  notify: NotifyConfig;
  collector: CollectorConfig;
  /** Sorted by name. */
  packages: PackageConfig[];
  /** This machine's part in a fleet; null or absent: none (the machine is on its own). */
  fleet?: FleetConfig | null;
}

/** One thing wrong with a config file, with the way to fix it. */
export interface ConfigProblem {
  /** Where in the file, e.g. `packages.hello.attr`; empty for the file as a whole. */
  path: string;
  message: string;
  fix: string;
}
