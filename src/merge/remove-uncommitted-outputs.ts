/** Removes merge outputs that no committed generation names (a crash between rename and commit). */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../state/database.js';
import { listPackages } from '../state/package-records.js';
import { packageDirName } from './plan-merge.js';

const GENERATION = /^gen-(\d+)\.(profdata|gcda\.d)$/;

export function removeUncommittedOutputs(db: Db, profilesDir: string): number {
  let removed = 0;
  for (const pkg of listPackages(db)) {
    const dir = join(profilesDir, packageDirName(pkg.name));
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const match = GENERATION.exec(name);
      if (match && Number(match[1]) <= pkg.generation) continue;
      rmSync(join(dir, name), { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}
