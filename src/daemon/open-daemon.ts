/**
 * Builds a DaemonContext from the config: the state database, the slot table,
 * the harvest engine (fed the manifests of the profiling builds) and the
 * notifier. The CLI commands and the daemon all start here.
 */
import { join } from 'node:path';
import type { Config } from '../config/config-types.js';
import { HarvestEngine, type PackageSource, type PassReport } from '../collect/collector.js';
import { createLogger, type Logger } from '../log/logger.js';
import { createNotifier, type Notifier } from '../notify/notify-hook.js';
import type { SlotMetrics } from '../lifecycle/plan-tick.js';
import { SlotStore } from '../state/lifecycle-records.js';
import { locationsFor } from '../state/state-layout.js';
import { openDatabase, type Db } from '../state/database.js';
import { listPackages, type PackageRecord } from '../state/package-records.js';
import { summarizeQuarantine, type QuarantineSummary } from '../state/quarantine-records.js';
import type { DaemonContext, ProfileEngine } from '../actions/action-context.js';

export function metricsFromRecords(records: readonly PackageRecord[]): Map<string, SlotMetrics> {
  return new Map(
    records.map((r) => [
      r.name,
      {
        mergedBytes: r.mergedBytes,
        bytesHarvested: r.bytesHarvested,
        runs: r.runs ?? 0,
        convergence: r.overlap,
        generation: r.generation,
        mergedPath: r.mergedPath,
      },
    ]),
  );
}

export interface OpenState {
  db: Db;
  slots: SlotStore;
  metrics: () => Map<string, SlotMetrics>;
  quarantine: () => QuarantineSummary;
  close: () => void;
}

/** Opens the state database and the slot table only: what `status` needs while a daemon runs. */
export function openState(config: Config): OpenState {
  const locations = locationsFor(config.stateDir, config.spoolDir);
  const db = openDatabase(locations.database);
  return { db, slots: new SlotStore(db), metrics: () => metricsFromRecords(listPackages(db)), quarantine: () => summarizeQuarantine(db), close: () => db.close() };
}

/** Runs `act` on the opened state and closes it afterwards, whatever happens. */
export async function withState<T>(config: Config, act: (state: OpenState) => T | Promise<T>): Promise<T> {
  const state = openState(config);
  try {
    return await act(state);
  } finally {
    state.close();
  }
}

export interface OpenDaemon {
  ctx: DaemonContext;
  engine: HarvestEngine;
  close(): Promise<void>;
}

/** Turns a pass's quarantines and full disks into events the user hears about. */
async function reportPass(report: PassReport, notifier: Notifier, full: Set<string>): Promise<void> {
  if (report.harvested.quarantined > 0) {
    await notifier.notify({ type: 'quarantined', package: null, file: `${report.harvested.quarantined} file(s)`, reason: 'see nix-pgo status' });
  }
  for (const [area, usage] of [['spool', report.status.spool], ['quarantine', report.status.quarantine]] as const) {
    if (usage.full && !full.has(area)) await notifier.notify({ type: 'disk-cap', area, usedBytes: usage.bytes, capBytes: usage.capBytes });
    if (usage.full) full.add(area);
    else full.delete(area);
  }
}

export function openDaemon(config: Config, options: { logger?: Logger; now?: () => Date } = {}): OpenDaemon {
  const logger = options.logger ?? createLogger();
  const state = openState(config);
  const locations = locationsFor(config.stateDir, config.spoolDir);
  // The engine reads this list at every pass, so registering a build is adding to it.
  const sources: PackageSource[] = state.slots
    .all()
    .filter((s) => s.profilingPath !== null && config.packages.some((p) => p.name === s.name))
    .map((s) => ({ name: s.name, manifestPath: join(s.profilingPath!, 'nix-support', 'pgo.json') }));
  const engine = HarvestEngine.open({ locations, packages: sources, log: (line) => logger.log('warn', 'engine', { message: line }) });
  const notifier = createNotifier(config.notify.hook, logger);
  const full = new Set<string>();
  const profileEngine: ProfileEngine = {
    async register(name, manifestPath) {
      const existing = sources.findIndex((s) => s.name === name);
      if (existing >= 0) sources.splice(existing, 1);
      sources.push({ name, manifestPath });
    },
    async runOnce() {
      await reportPass(await engine.runOnce(), notifier, full);
    },
    async metrics() {
      return state.metrics();
    },
  };
  const ctx: DaemonContext = { config, slots: state.slots, engine: profileEngine, notifier, logger, now: options.now ?? (() => new Date()) };
  return {
    ctx,
    engine,
    async close() {
      await engine.stop();
      engine.close();
      state.close();
    },
  };
}
