/** Per-package rows: the current merged profile, its generation and metrics. */
import type { Db } from './database.js';

export interface PackageRecord {
  name: string;
  toolchain: string;
  generation: number;
  mergedPath: string | null;
  mergedSha256: string | null;
  mergedBytes: number;
  bytesHarvested: number;
  filesHarvested: number;
  runs: number | null;
  functionsNonzero: number | null;
  overlap: number | null;
  updatedAt: string | null;
}

export interface NewGeneration {
  package: string;
  generation: number;
  path: string;
  sha256: string;
  bytes: number;
  inputs: number;
  runs: number | null;
  functionsNonzero: number | null;
  overlap: number | null;
}

export function ensurePackage(db: Db, name: string, toolchain: string): void {
  db.prepare('INSERT INTO packages (name, toolchain) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET toolchain = excluded.toolchain').run(name, toolchain);
}

export function getPackage(db: Db, name: string): PackageRecord | null {
  const r = db.prepare('SELECT * FROM packages WHERE name = ?').get(name) as Record<string, unknown> | undefined;
  return r ? mapPackage(r) : null;
}

export function listPackages(db: Db): PackageRecord[] {
  return (db.prepare('SELECT * FROM packages ORDER BY name').all() as Record<string, unknown>[]).map(mapPackage);
}

/**
 * The one transaction of a merge: new generation, package pointer flipped, consumed inputs gone.
 * With `functionKeys` (clang), functionsNonzero becomes the size of the package's union of run functions.
 */
export function commitMerge(db: Db, gen: NewGeneration, consumedStagedIds: readonly number[], functionKeys?: readonly string[]): void {
  db.transaction(() => {
    const at = new Date().toISOString();
    if (functionKeys) {
      const hit = db.prepare('INSERT OR IGNORE INTO function_hits (package, key) VALUES (?, ?)');
      for (const key of functionKeys) hit.run(gen.package, key);
      gen = { ...gen, functionsNonzero: (db.prepare('SELECT COUNT(*) AS n FROM function_hits WHERE package = ?').get(gen.package) as { n: number }).n };
    }
    db.prepare(
      'INSERT INTO generations (package, generation, path, sha256, bytes, inputs, runs, functions_nonzero, overlap, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(gen.package, gen.generation, gen.path, gen.sha256, gen.bytes, gen.inputs, gen.runs, gen.functionsNonzero, gen.overlap, at);
    db.prepare(
      'UPDATE packages SET generation = ?, merged_path = ?, merged_sha256 = ?, merged_bytes = ?, runs = ?, functions_nonzero = ?, overlap = ?, updated_at = ? WHERE name = ?',
    ).run(gen.generation, gen.path, gen.sha256, gen.bytes, gen.runs, gen.functionsNonzero, gen.overlap, at, gen.package);
    const del = db.prepare('DELETE FROM staged WHERE id = ?');
    for (const id of consumedStagedIds) del.run(id);
  })();
}

function mapPackage(r: Record<string, unknown>): PackageRecord {
  return {
    name: r['name'] as string,
    toolchain: r['toolchain'] as string,
    generation: r['generation'] as number,
    mergedPath: r['merged_path'] as string | null,
    mergedSha256: r['merged_sha256'] as string | null,
    mergedBytes: r['merged_bytes'] as number,
    bytesHarvested: r['bytes_harvested'] as number,
    filesHarvested: r['files_harvested'] as number,
    runs: r['runs'] as number | null,
    functionsNonzero: r['functions_nonzero'] as number | null,
    overlap: r['overlap'] as number | null,
    updatedAt: r['updated_at'] as string | null,
  };
}
