/**
 * `nix-pgo gc`: forgets what nothing needs any more, so the store can reclaim
 * it: old Nix profile generations beyond `keep`, GC roots of profiles that are
 * neither in the lock file nor the profile of a package's optimized variant
 * (which `nix-pgo switch NAME optimized` locks again after a rollback), and
 * build logs beyond the newest few per package. The Nix store itself is
 * collected by `nix-collect-garbage`, as always.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config-types.js';
import { deleteOldGenerations, listGenerations } from '../tools/nix-env.js';
import { parseLockFile } from '../store/lock-file.js';
import { parseGcRootName } from '../store/store-profile.js';
import { stateLayout } from '../state/state-layout.js';
import type { LifecycleRecord } from '../state/lifecycle-records.js';

export interface GcReport {
  generationsDeleted: number;
  rootsRemoved: string[];
  logsRemoved: number;
}

/** Which log files to delete: all but the newest `keep` per package (pure; names sort by time). */
function planLogCleanup(logsByPackage: Record<string, string[]>, keep: number): string[] {
  return Object.values(logsByPackage).flatMap((files) => [...files].sort().slice(0, Math.max(0, files.length - keep)));
}

export async function runGc(config: Config, options: { keepGenerations: number; keepLogs: number; records?: readonly LifecycleRecord[] }): Promise<GcReport> {
  const paths = stateLayout(config.stateDir, config.spoolDir);
  let generationsDeleted = 0;
  if (existsSync(config.nixProfile)) {
    const before = (await listGenerations(config.nixProfile)).length;
    await deleteOldGenerations(config.nixProfile, options.keepGenerations);
    generationsDeleted = before - (await listGenerations(config.nixProfile)).length;
  }

  const locked = existsSync(paths.lockFile) ? parseLockFile(readFileSync(paths.lockFile, 'utf8'), paths.lockFile) : null;
  const rootsRemoved: string[] = [];
  // A package rolled back to profiling is out of the lock, but its optimized (and BOLT-optimized) variants can come back.
  const switchable = new Set(
    (options.records ?? []).flatMap((r) => [
      ...(r.optimizedPath !== null && r.profileStorePath !== null ? [`packages\0${r.name}`] : []),
      ...(r.boltOptimizedPath && r.boltProfileStorePath ? [`boltProfiles\0${r.name}`] : []),
    ]),
  );
  if (existsSync(paths.gcRootDir)) {
    for (const link of readdirSync(paths.gcRootDir)) {
      const root = parseGcRootName(link);
      if (!root || (!locked?.[root.section]?.[root.name] && !switchable.has(`${root.section}\0${root.name}`))) {
        rmSync(join(paths.gcRootDir, link), { force: true });
        rootsRemoved.push(link);
      }
    }
  }

  const logsByPackage: Record<string, string[]> = {};
  if (existsSync(paths.logDir)) {
    for (const pkg of readdirSync(paths.logDir)) logsByPackage[pkg] = readdirSync(join(paths.logDir, pkg)).map((f) => join(paths.logDir, pkg, f));
  }
  const logs = planLogCleanup(logsByPackage, options.keepLogs);
  for (const file of logs) rmSync(file, { force: true });
  return { generationsDeleted, rootsRemoved, logsRemoved: logs.length };
}
