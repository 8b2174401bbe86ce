/**
 * Wires one process's pieces together: the state database (one handle),
 * the collector (fed the manifests of the profiling builds the lifecycle
 * table knows), the notifier and the logger. The daemon and `nix-pgo build`
 * start here.
 */
import type { ActionContext } from '../actions/action-context.js';
import { Collector, type PackageSource, type PassReport } from '../collect/collector.js';
import { resolveTrust } from '../collect/resolve-trust.js';
import type { Config } from '../config/config-types.js';
import { manifestPathOf } from '../formats/manifest.js';
import { createLogger, type Logger } from '../log/logger.js';
import { createNotifier, type Notifier } from '../notify/notify-hook.js';
import { openDatabase } from '../state/database.js';
import { boltDataName } from '../model/variants.js';
import { listLifecycles } from '../state/lifecycle-records.js';
import type { LifecycleRecord } from '../model/lifecycle-record.js';
import { stateLayout } from '../state/state-layout.js';

export interface OpenDaemon {
  ctx: ActionContext;
  collector: Collector;
  /** Takes a reloaded config: packages added, removed or changed apply from the next tick and pass. */
  reconfigure(next: Config): Promise<void>;
  close(): Promise<void>;
}

type PackageSettings = Pick<PackageSource, 'trust' | 'maxContributorShare'>;

/**
 * Every package's trusted users resolved (a name that does not exist is a config error), and its share;
 * its BOLT data (collected as `NAME#bolt`) has the same trust and the BOLT policy's share.
 */
async function resolveSettings(config: Config): Promise<Map<string, PackageSettings>> {
  const settings = new Map<string, PackageSettings>();
  for (const pkg of config.packages) {
    const trust = await resolveTrust(pkg.trustedUsers, `packages.${pkg.name}.trustedUsers`);
    settings.set(pkg.name, { trust, maxContributorShare: pkg.policy.maxContributorShare });
    if (pkg.bolt)
      settings.set(boltDataName(pkg.name), { trust, maxContributorShare: pkg.bolt.policy.maxContributorShare });
  }
  return settings;
}

/** The profiling builds the lifecycle table knows, as the collector's sources: each PGO one, and each BOLT one. */
function knownSources(
  records: readonly LifecycleRecord[],
  settings: ReadonlyMap<string, PackageSettings>,
): PackageSource[] {
  const sources: PackageSource[] = [];
  for (const r of records) {
    const candidates: [string, string | null | undefined][] = [
      [r.name, r.profilingPath],
      [boltDataName(r.name), r.boltProfilingPath],
    ];
    for (const [name, path] of candidates) {
      if (path && settings.has(name)) sources.push({ name, manifestPath: manifestPathOf(path), ...settings.get(name) });
    }
  }
  return sources;
}

/** Turns a pass's quarantines and full disks into events the user hears about. */
function reportPasses(notifierNow: () => Notifier): (report: PassReport) => Promise<void> {
  const full = new Set<string>();
  return async (report) => {
    const notifier = notifierNow();
    if (report.harvested.quarantined > 0) {
      await notifier.notify({
        type: 'quarantined',
        package: null,
        file: `${report.harvested.quarantined} file(s)`,
        reason: 'see nix-pgo status',
      });
    }
    for (const [area, usage] of [
      ['spool', report.status.spool],
      ['quarantine', report.status.quarantine],
    ] as const) {
      if (usage.full && !full.has(area))
        await notifier.notify({ type: 'disk-cap', area, usedBytes: usage.bytes, capBytes: usage.capBytes });
      if (usage.full) full.add(area);
      else full.delete(area);
    }
  };
}

/**
 * Resolves every package's trusted users (a name that does not exist is a config error) and takes the
 * collector lock: throws a COLLECTOR_BUSY error when another process (a running daemon) collects here.
 */
export async function openDaemon(
  config: Config,
  options: { logger?: Logger; now?: () => Date } = {},
): Promise<OpenDaemon> {
  const logger = options.logger ?? createLogger();
  const layout = stateLayout(config.stateDir, config.spoolDir);
  let settings = await resolveSettings(config);
  const db = openDatabase(layout.database);
  const notifierFor = (c: Config) => createNotifier({ hook: c.notify.hook, desktop: c.notify.desktop, logger });
  let notifier = notifierFor(config);
  let collector: Collector;
  try {
    collector = Collector.open({
      db,
      layout,
      packages: knownSources(listLifecycles(db), settings),
      limits: config.collector,
      settings: (name) => settings.get(name),
      log: (line) => logger.log('warn', 'collector', { message: line }),
      onPass: reportPasses(() => notifier),
    });
  } catch (error) {
    db.close();
    throw error;
  }
  const ctx: ActionContext = {
    config,
    db,
    layout,
    collector,
    notifier,
    logger,
    now: options.now ?? (() => new Date()),
  };
  return {
    ctx,
    collector,
    async reconfigure(next) {
      const nextSettings = await resolveSettings(next);
      const added = [...nextSettings.keys()].filter((name) => !settings.has(name));
      for (const name of new Set([...settings.keys(), ...nextSettings.keys()]))
        collector.configure(name, nextSettings.get(name));
      settings = nextSettings;
      // A package added back keeps its lifecycle record: its profiling build is collected again at once.
      for (const source of knownSources(listLifecycles(db), nextSettings))
        if (added.includes(source.name)) collector.register(source.name, source.manifestPath);
      ctx.config = next;
      // A changed hook or notify.desktop applies from the next event on.
      notifier = notifierFor(next);
      ctx.notifier = notifier;
    },
    async close() {
      await collector.stop();
      collector.close();
      db.close();
    },
  };
}
