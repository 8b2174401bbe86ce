/**
 * Everything the daemon's actions need, passed explicitly so tests can build
 * one against a temporary state directory.
 */
import { join } from 'node:path';
import type { Config, PackageConfig } from '../config/config-types.js';
import type { Logger } from '../log/logger.js';
import type { Notifier } from '../notify/notify-hook.js';
import type { SlotMetrics } from '../lifecycle/plan-tick.js';
import type { SlotStore } from '../state/lifecycle-records.js';

/** What the daemon needs from the harvest/merge engine. */
export interface ProfileEngine {
  /** Attribute raw profiles of this profiling build to the package from now on. */
  register(name: string, manifestPath: string): Promise<void>;
  /** One discovery, harvest and merge pass. */
  runOnce(): Promise<void>;
  /** The current numbers of every registered package. */
  metrics(): Promise<Map<string, SlotMetrics>>;
}

export interface DaemonContext {
  config: Config;
  slots: SlotStore;
  engine: ProfileEngine;
  notifier: Notifier;
  logger: Logger;
  now: () => Date;
}

export interface StatePaths {
  logDir: string;
  gcRootDir: string;
  lockFile: string;
  workDir: string;
}

export function statePaths(config: Config): StatePaths {
  return {
    logDir: join(config.stateDir, 'logs'),
    gcRootDir: join(config.stateDir, 'gcroots'),
    lockFile: join(config.stateDir, 'pgo-lock.json'),
    workDir: join(config.stateDir, 'work'),
  };
}

export function packageNamed(config: Config, name: string): PackageConfig {
  const pkg = config.packages.find((p) => p.name === name);
  if (!pkg) throw new Error(`no managed package named ${name}`);
  return pkg;
}
