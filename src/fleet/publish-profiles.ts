/**
 * A machine publishes its merged profile of each package to the fleet's
 * cache: each profile into the Nix store (content-addressed), a record of
 * what they are (machine, package, the instrumented build, runs, counts,
 * when) as a store path too, both copied to the cache signed with the
 * machine's key, then the machine's pointer moved to the new record. Every
 * publish carries the whole merged profile, so one that fails (the cache is
 * down) loses nothing: the data stays here and the next round publishes it.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionContext } from '../actions/action-context.js';
import type { FleetConfig } from '../config/config-types.js';
import { getLifecycle } from '../state/lifecycle-records.js';
import { listPackages } from '../state/package-records.js';
import { storeProfile } from '../store/store-profile.js';
import { signingStoreUrl, copyTo } from '../tools/nix.js';
import { addFixed } from '../tools/nix-store.js';
import { writePointer } from './fleet-cache.js';
import {
  type FleetRecord,
  type FleetRecordPackage,
  type MachinePointer,
  renderFleetDocument,
} from './fleet-documents.js';
import type { FleetKeys } from './fleet-keys.js';
import { type PublishedState, readPublished, writePublished } from './fleet-state.js';

export interface PublishReport {
  /** The record published now, or null when nothing changed since the last one. */
  record: string | null;
  packages: string[];
}

/** The pointer of a machine's newest record, beside the cache. */
export function machinePointerName(machine: string): string {
  return `machines/${machine}.json`;
}

/** Packages whose merged profile changed since the last record (pure); none changed and none failed: nothing to publish. */
export function changedSincePublished(
  current: ReadonlyMap<string, number>,
  published: PublishedState['published'],
): string[] {
  return [...current]
    .filter(([name, generation]) => published?.packages[name]?.generation !== generation)
    .map(([n]) => n);
}

export async function publishProfiles(ctx: ActionContext, fleet: FleetConfig, keys: FleetKeys): Promise<PublishReport> {
  const fleetDir = ctx.layout.fleetDir;
  const state = readPublished(fleetDir);
  const machine = keys.self.name;
  const managed = new Set(ctx.config.packages.map((p) => p.name));
  const records = listPackages(ctx.db).filter((r) => managed.has(r.name) && r.generation > 0 && r.mergedPath !== null);
  const changed = changedSincePublished(new Map(records.map((r) => [r.name, r.generation])), state.published);
  const lastFailed = state.lastAttempt?.error != null;
  if (changed.length === 0 && !(lastFailed && records.length > 0)) {
    // Status names the machine from here, also before it has anything to publish.
    if (state.machine !== machine) writePublished(fleetDir, { ...state, machine });
    return { record: null, packages: [] };
  }

  const attemptAt = ctx.now().toISOString();
  try {
    const rootDir = join(fleetDir, 'gcroots', 'published');
    const packages: Record<string, FleetRecordPackage> = {};
    const kept: NonNullable<PublishedState['published']>['packages'] = {};
    for (const r of records) {
      const origin = getLifecycle(ctx.db, r.name)?.origins?.profile;
      // Data whose instrumented build is not recorded cannot be matched to anyone's derivation.
      if (!origin || (r.toolchain !== 'clang' && r.toolchain !== 'gcc')) continue;
      const before = state.published?.packages[r.name];
      const profile =
        before && before.generation === r.generation
          ? before.profile
          : await storeProfile({
              name: r.name,
              mergedPath: r.mergedPath!,
              generation: r.generation,
              gcRootDir: rootDir,
              workDir: ctx.layout.workDir,
              now: ctx.now(),
            });
      packages[r.name] = {
        profile: {
          storePath: profile.storePath,
          hashMode: profile.hashMode,
          hash: profile.hash,
          ...(profile.system ? { system: profile.system } : {}),
        },
        toolchain: r.toolchain,
        source: { name: origin.name, version: origin.version, drvPath: origin.drvPath },
        generation: r.generation,
        runs: r.runs,
        counts: r.countsMerged,
        mergedAt: r.updatedAt ?? attemptAt,
      };
      kept[r.name] = { generation: r.generation, profile, runs: r.runs, counts: r.countsMerged };
    }
    const record: FleetRecord = {
      nixPgoFleet: 'record',
      version: 1,
      machine,
      publishedAt: attemptAt,
      packages,
    };
    const file = join(ctx.layout.workDir, `nix-pgo-record-${machine}.json`);
    mkdirSync(ctx.layout.workDir, { recursive: true });
    writeFileSync(file, renderFleetDocument(record));
    const recordPath = await addFixed(file, { recursive: false });
    rmSync(file, { force: true });
    const profiles = Object.values(packages).map((p) => p.profile.storePath);
    await copyTo(signingStoreUrl(fleet.cache, fleet.secretKeyFile), [recordPath, ...profiles], { signal: ctx.signal });
    const pointer: MachinePointer = { nixPgoFleet: 'machine-pointer', version: 1, machine, record: recordPath };
    await writePointer(fleet.cache, machinePointerName(machine), renderFleetDocument(pointer));
    writePublished(fleetDir, {
      machine,
      lastAttempt: { at: attemptAt, error: null },
      published: { at: attemptAt, record: recordPath, packages: kept },
    });
    dropOldRoots(rootDir, kept);
    ctx.logger.log('info', 'fleet-published', { machine, record: recordPath, packages: Object.keys(packages) });
    return { record: recordPath, packages: Object.keys(packages) };
  } catch (error) {
    const message = (error as Error).message;
    writePublished(fleetDir, { ...state, machine, lastAttempt: { at: attemptAt, error: message } });
    ctx.logger.log('warn', 'fleet-publish-failed', {
      machine,
      error: message,
      hint: 'the merged profiles stay here; the next round publishes them',
    });
    throw error;
  }
}

/** The roots of profiles published before (storeProfile roots each as NAME-profile-GEN); the cache has them now. */
function dropOldRoots(rootDir: string, kept: NonNullable<PublishedState['published']>['packages']): void {
  const keep = new Set(Object.entries(kept).map(([name, p]) => `${name}-profile-${p.generation}`));
  let names: string[];
  try {
    names = readdirSync(rootDir);
  } catch {
    return;
  }
  for (const name of names) if (!keep.has(name)) rmSync(join(rootDir, name), { force: true });
}
