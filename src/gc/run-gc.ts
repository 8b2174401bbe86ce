/**
 * `nix-pgo gc`: forgets what nothing needs any more, so the store can reclaim
 * it: old Nix profile generations beyond `keep`, GC roots of profiles that are
 * neither in the lock file nor the profile of a package's optimized variant
 * (which `nix-pgo switch NAME optimized` locks again after a rollback), and
 * build logs beyond the newest few per package. The Nix store itself is
 * collected by `nix-collect-garbage`, as always.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config-types.js';
import { deleteOldGenerations, listGenerations } from '../tools/nix-env.js';
import { parseLockFile, type LockFile } from '../store/lock-file.js';
import { stateLayout } from '../state/state-layout.js';
import type { LifecycleRecord } from '../model/lifecycle-record.js';

export interface GcReport {
  generationsDeleted: number;
  rootsRemoved: string[];
  logsRemoved: number;
}

/** Which log files to delete: all but the newest `keep` per package (pure; names sort by time). */
function planLogCleanup(logsByPackage: Record<string, string[]>, keep: number): string[] {
  return Object.values(logsByPackage).flatMap((files) => [...files].sort().slice(0, Math.max(0, files.length - keep)));
}

/**
 * The profiles whose roots stay (pure): every profile the lock names, and every profile a package's
 * optimized or BOLT-optimized variant was built with (a package rolled back to profiling is out of
 * the lock, but `nix-pgo switch` can bring that variant back). A profile stored for a build that
 * failed is in neither, so its root goes.
 */
export function rootsToKeep(lock: LockFile | null, records: readonly LifecycleRecord[]): Set<string> {
  const keep = new Set<string>();
  for (const section of [lock?.packages, lock?.boltProfiles])
    for (const entry of Object.values(section ?? {})) keep.add(entry.storePath);
  for (const r of records) {
    if (r.optimizedPath !== null && r.profileStorePath !== null) keep.add(r.profileStorePath);
    if (r.boltOptimizedPath && r.boltProfileStorePath) keep.add(r.boltProfileStorePath);
    // A refresh window combines its fresh data with this profile when it ends.
    if (r.refresh) keep.add(r.refresh.carried.storePath);
  }
  return keep;
}

function readRoot(link: string): string {
  try {
    return readlinkSync(link);
  } catch {
    return '';
  }
}

export async function runGc(
  config: Config,
  options: { keepGenerations: number; keepLogs: number; records?: readonly LifecycleRecord[] },
): Promise<GcReport> {
  const paths = stateLayout(config.stateDir, config.spoolDir);
  let generationsDeleted = 0;
  if (existsSync(config.nixProfile)) {
    const before = (await listGenerations(config.nixProfile)).length;
    await deleteOldGenerations(config.nixProfile, options.keepGenerations);
    generationsDeleted = before - (await listGenerations(config.nixProfile)).length;
  }

  const locked = existsSync(paths.lockFile)
    ? parseLockFile(readFileSync(paths.lockFile, 'utf8'), paths.lockFile)
    : null;
  const keep = rootsToKeep(locked, options.records ?? []);
  const rootsRemoved: string[] = [];
  if (existsSync(paths.gcRootDir)) {
    for (const link of readdirSync(paths.gcRootDir)) {
      if (keep.has(readRoot(join(paths.gcRootDir, link)))) continue;
      rmSync(join(paths.gcRootDir, link), { force: true });
      rootsRemoved.push(link);
    }
  }

  const logsByPackage: Record<string, string[]> = {};
  if (existsSync(paths.logDir)) {
    for (const pkg of readdirSync(paths.logDir))
      logsByPackage[pkg] = readdirSync(join(paths.logDir, pkg)).map((f) => join(paths.logDir, pkg, f));
  }
  const logs = planLogCleanup(logsByPackage, options.keepLogs);
  for (const file of logs) rmSync(file, { force: true });
  return { generationsDeleted, rootsRemoved, logsRemoved: logs.length };
}
