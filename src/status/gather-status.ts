/**
 * Gathers what `nix-pgo status` shows: the lifecycle records, the collector's
 * metrics and contributions, quarantine and live files, the Nix profile's
 * generation and collisions in it, the active BOLT variants' file outcomes,
 * whether the daemon runs, read without writing anything; collect-status.ts
 * puts them together.
 */
import { existsSync, readFileSync } from 'node:fs';
import { findProfileCollisions } from '../activate/profile-collisions.js';
import { currentGeneration } from '../activate/switch-profile.js';
import type { Config } from '../config/config-types.js';
import { findPackage } from '../config/find-package.js';
import { type BoltFileOutcome, manifestPathOf, parseBoltOutcomes } from '../formats/manifest.js';
import { metricsFromRecords } from '../lifecycle/decide-readiness.js';
import type { LifecycleRecord } from '../model/lifecycle-record.js';
import { getCollectorHeartbeat } from '../state/collector-heartbeat.js';
import { withDatabaseReadOnly } from '../state/database.js';
import { listLifecycles } from '../state/lifecycle-records.js';
import { summarizeLive } from '../state/live-snapshots.js';
import { listContributions, listPackages } from '../state/package-records.js';
import { summarizeQuarantine } from '../state/quarantine-records.js';
import { readSpoolReport } from '../state/spool-report.js';
import { stateLayout } from '../state/state-layout.js';
import { lookupUserName } from '../tools/getent.js';
import { collectStatus, type Status } from './collect-status.js';
import { judgeDaemon, probeCollectorLock } from './daemon-state.js';
import { gatherFleetStatus } from './fleet-status.js';

/** The status of every managed package, or of `only`. */
export async function gatherStatus(config: Config, only?: string): Promise<Status> {
  if (only !== undefined) findPackage(config, only);
  const profileGeneration = existsSync(config.nixProfile) ? await currentGeneration(config.nixProfile) : null;
  const layout = stateLayout(config.stateDir, config.spoolDir);
  // Before the database: a daemon that stops meanwhile has written its stop before it released the lock.
  const lock = probeCollectorLock(layout.collectorLock);
  // Read-only: status (also as root, `sudo nix-pgo status`) never creates or migrates the daemon's database.
  const status = await withDatabaseReadOnly(layout.database, async (db) => {
    // No database yet: nothing collected or built (a fresh install).
    if (db === null)
      return collectStatus({
        config,
        records: [],
        metrics: new Map(),
        profileGeneration,
        daemon: judgeDaemon(lock, null),
      });
    const contributions = new Map(config.packages.map((p) => [p.name, listContributions(db, p.name)] as const));
    const spool = readSpoolReport(db);
    const userNames = await lookupNames([
      ...[...contributions.values()].flat().map((c) => c.contributor),
      ...(spool?.squats ?? []).flatMap((s) => [s.uid, s.by]),
    ]);
    const records = listLifecycles(db);
    return collectStatus({
      daemon: judgeDaemon(lock, getCollectorHeartbeat(db)),
      collisions: findProfileCollisions(config.nixProfile, records),
      config,
      records,
      metrics: metricsFromRecords(listPackages(db)),
      profileGeneration,
      quarantine: summarizeQuarantine(db),
      spool,
      contributions,
      userNames,
      live: summarizeLive(db),
      boltFiles: readBoltFiles(records),
    });
  });
  const withFleet = { ...status, fleet: gatherFleetStatus(config, layout.fleetDir) };
  return only === undefined ? withFleet : { ...withFleet, packages: withFleet.packages.filter((p) => p.name === only) };
}

/** The per-file outcomes of each package's active BOLT variant, from its manifest. */
function readBoltFiles(records: readonly LifecycleRecord[]): Map<string, BoltFileOutcome[]> {
  const files = new Map<string, BoltFileOutcome[]>();
  for (const r of records) {
    if (r.activePath === null || (r.activeVariant !== 'bolt-profile' && r.activeVariant !== 'bolt-optimized')) continue;
    try {
      files.set(r.name, parseBoltOutcomes(readFileSync(manifestPathOf(r.activePath), 'utf8')));
    } catch {
      // Collected away or unreadable: status shows no file list rather than failing.
    }
  }
  return files;
}

async function lookupNames(uids: readonly number[]): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  for (const uid of new Set(uids)) {
    const name = uid < 0 ? null : await lookupUserName(uid);
    if (name !== null) names.set(uid, name);
  }
  return names;
}
