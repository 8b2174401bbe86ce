/**
 * Removes what merges left that no committed row names: outputs of a merge
 * killed before its commit, temporary and work files, contributor profiles
 * replaced by a newer one.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../state/database.js';
import { listContributions, listPackages } from '../state/package-records.js';
import { packageDirName, parseGenerationName } from './plan-merge.js';

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export function removeUncommittedOutputs(db: Db, profilesDir: string): number {
  let removed = 0;
  const remove = (path: string) => {
    rmSync(path, { recursive: true, force: true });
    removed++;
  };
  for (const pkg of listPackages(db)) {
    const dir = join(profilesDir, packageDirName(pkg.name));
    for (const name of list(dir)) {
      if (name === 'contributors') continue;
      const generation = parseGenerationName(name);
      if (generation === null || generation > pkg.generation) remove(join(dir, name));
    }
    const committed = new Map(listContributions(db, pkg.name).map((c) => [String(c.contributor), c.path]));
    const contributorsDir = join(dir, 'contributors');
    for (const contributor of list(contributorsDir)) {
      const keep = committed.get(contributor);
      if (keep === undefined) {
        remove(join(contributorsDir, contributor));
        continue;
      }
      for (const name of list(join(contributorsDir, contributor)))
        if (join(contributorsDir, contributor, name) !== keep) remove(join(contributorsDir, contributor, name));
    }
  }
  return removed;
}
