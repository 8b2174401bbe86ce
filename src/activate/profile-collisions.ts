/**
 * Managed packages whose programs collide in the Nix profile: two active
 * variants that both ship `bin/NAME` (or `sbin/NAME`). The profile links one
 * of them (switch-profile.ts: the package whose name sorts first); the other's
 * program is not on the user's PATH through the profile, so its runs, and its
 * profile data, come only from those who call it by its store path.
 */
import { readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { LifecycleRecord } from '../model/lifecycle-record.js';
import { planProfileContents } from './switch-profile.js';

/** The directories whose entries users run by name from the profile. */
const PROGRAM_DIRS = ['bin', 'sbin'] as const;

export interface ProfileCollision {
  /** The file in the profile, e.g. `bin/ticker`. */
  file: string;
  /** Every managed package whose active variant ships it, sorted. */
  packages: string[];
  /** The package whose file the profile links. */
  winner: string;
  /** `profile`: read from the profile's link; `rule`: the profile does not link any of them (yet), so by the rule. */
  from: 'profile' | 'rule';
}

/**
 * The collisions among `files` (each package's program files) (pure). `linkedTo(file)` is the package whose file the
 * profile links now, or null; without one, the winner is the package the profile's priority puts first.
 */
export function planCollisions(
  files: ReadonlyMap<string, readonly string[]>,
  linkedTo: (file: string, packages: readonly string[]) => string | null,
): ProfileCollision[] {
  const byFile = new Map<string, string[]>();
  for (const [name, list] of files) for (const file of list) byFile.set(file, [...(byFile.get(file) ?? []), name]);
  const priority = planProfileContents(Object.fromEntries([...files.keys()].map((name) => [name, name])));
  const collisions: ProfileCollision[] = [];
  for (const [file, names] of [...byFile].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (names.length < 2) continue;
    const packages = [...names].sort();
    const linked = linkedTo(file, packages);
    const byRule = priority.find((e) => packages.includes(e.name))!.name;
    collisions.push({
      file,
      packages,
      winner: linked ?? byRule,
      from: linked === null ? 'rule' : 'profile',
    });
  }
  return collisions;
}

/** The collisions among the packages' active variants (what the Nix profile `profile` holds). */
export function findProfileCollisions(profile: string, records: readonly LifecycleRecord[]): ProfileCollision[] {
  const active: Record<string, string> = {};
  for (const r of records) if (r.activePath) active[r.name] = r.activePath;
  const files = new Map<string, string[]>();
  for (const [name, path] of Object.entries(active)) files.set(name, listPrograms(path));
  return planCollisions(files, (file, packages) => {
    let target: string;
    try {
      target = realpathSync(join(profile, file));
    } catch {
      return null;
    }
    return packages.find((name) => target.startsWith(`${realpathOrSelf(active[name]!)}/`)) ?? null;
  });
}

function listPrograms(storePath: string): string[] {
  return PROGRAM_DIRS.flatMap((dir) => {
    try {
      return readdirSync(join(storePath, dir)).map((name) => `${dir}/${name}`);
    } catch {
      // No such directory in this package.
      return [];
    }
  });
}

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
