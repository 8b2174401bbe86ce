/**
 * Per-package rows: the current merged profile, its generation and metrics;
 * each contributor's own merged profile; and the runs seen per unit.
 */
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
  /** The sum of every counter the merges added (the data threshold's measure). */
  countsMerged: number;
  /** Runs of the package's most-run binary (clang) or object (gcc), over every contributor. */
  runs: number;
  functionsNonzero: number | null;
  overlap: number | null;
  updatedAt: string | null;
}

export interface ContributionRecord {
  package: string;
  /** A uid (-1: data harvested before contributors were recorded). */
  contributor: number;
  /** How many times this contributor's profile was merged. */
  generation: number;
  path: string;
  sha256: string;
  bytes: number;
  /** Sum of the counters of the contributor's merged profile (before any scaling). */
  mass: number;
  bytesHarvested: number;
  filesHarvested: number;
  /** Runs of the most-run unit of this contributor. */
  runs: number;
  updatedAt: string;
}

export interface NewGeneration {
  package: string;
  generation: number;
  path: string;
  sha256: string;
  bytes: number;
  inputs: number;
  functionsNonzero: number | null;
  overlap: number | null;
}

export type NewContribution = Pick<
  ContributionRecord,
  'contributor' | 'generation' | 'path' | 'sha256' | 'bytes' | 'mass'
> & {
  /** Bytes and files of the inputs merged into it now. */
  addedBytes: number;
  addedFiles: number;
};

export function ensurePackage(db: Db, name: string, toolchain: string): void {
  db.prepare(
    'INSERT INTO packages (name, toolchain) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET toolchain = excluded.toolchain',
  ).run(name, toolchain);
}

const PACKAGE_COLUMNS = `p.*, COALESCE((SELECT MAX(total) FROM (SELECT SUM(runs) AS total FROM run_units u WHERE u.package = p.name GROUP BY unit)), 0) AS unit_runs`;

export function getPackage(db: Db, name: string): PackageRecord | null {
  const r = db.prepare(`SELECT ${PACKAGE_COLUMNS} FROM packages p WHERE p.name = ?`).get(name) as
    | Record<string, unknown>
    | undefined;
  return r ? mapPackage(r) : null;
}

export function listPackages(db: Db): PackageRecord[] {
  return (
    db.prepare(`SELECT ${PACKAGE_COLUMNS} FROM packages p ORDER BY p.name`).all() as Record<string, unknown>[]
  ).map(mapPackage);
}

export function listContributions(db: Db, pkg: string): ContributionRecord[] {
  const rows = db
    .prepare(
      `SELECT c.*, COALESCE((SELECT MAX(runs) FROM run_units u WHERE u.package = c.package AND u.contributor = c.contributor), 0) AS unit_runs
       FROM contributions c WHERE c.package = ? ORDER BY c.contributor`,
    )
    .all(pkg) as Record<string, unknown>[];
  return rows.map((r) => ({
    package: r.package as string,
    contributor: r.contributor as number,
    generation: r.generation as number,
    path: r.path as string,
    sha256: r.sha256 as string,
    bytes: r.bytes as number,
    mass: r.mass as number,
    bytesHarvested: r.bytes_harvested as number,
    filesHarvested: r.files_harvested as number,
    runs: r.unit_runs as number,
    updatedAt: r.updated_at as string,
  }));
}

/**
 * The one transaction of a merge: the contributors' new profiles, the package's new generation,
 * the consumed inputs gone and their counts added to the package's. With `functionKeys` (clang), functionsNonzero becomes the size of the
 * package's union of run functions.
 */
export function commitMerge(
  db: Db,
  gen: NewGeneration,
  contributions: readonly NewContribution[],
  consumedStagedIds: readonly number[],
  functionKeys?: readonly string[],
): void {
  db.transaction(() => {
    const at = new Date().toISOString();
    if (functionKeys) {
      const hit = db.prepare('INSERT OR IGNORE INTO function_hits (package, key) VALUES (?, ?)');
      for (const key of functionKeys) hit.run(gen.package, key);
      gen = {
        ...gen,
        functionsNonzero: (
          db.prepare('SELECT COUNT(*) AS n FROM function_hits WHERE package = ?').get(gen.package) as { n: number }
        ).n,
      };
    }
    const contribution = db.prepare(
      `INSERT INTO contributions (package, contributor, generation, path, sha256, bytes, mass, bytes_harvested, files_harvested, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (package, contributor) DO UPDATE SET generation = excluded.generation, path = excluded.path, sha256 = excluded.sha256,
         bytes = excluded.bytes, mass = excluded.mass, bytes_harvested = bytes_harvested + excluded.bytes_harvested,
         files_harvested = files_harvested + excluded.files_harvested, updated_at = excluded.updated_at`,
    );
    for (const c of contributions)
      contribution.run(
        gen.package,
        c.contributor,
        c.generation,
        c.path,
        c.sha256,
        c.bytes,
        c.mass,
        c.addedBytes,
        c.addedFiles,
        at,
      );
    db.prepare(
      'INSERT INTO generations (package, generation, path, sha256, bytes, inputs, runs, functions_nonzero, overlap, created_at) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)',
    ).run(
      gen.package,
      gen.generation,
      gen.path,
      gen.sha256,
      gen.bytes,
      gen.inputs,
      gen.functionsNonzero,
      gen.overlap,
      at,
    );
    db.prepare(
      'UPDATE packages SET generation = ?, merged_path = ?, merged_sha256 = ?, merged_bytes = ?, functions_nonzero = ?, overlap = ?, updated_at = ? WHERE name = ?',
    ).run(gen.generation, gen.path, gen.sha256, gen.bytes, gen.functionsNonzero, gen.overlap, at, gen.package);
    const mass = db.prepare('SELECT mass FROM staged WHERE id = ?');
    const del = db.prepare('DELETE FROM staged WHERE id = ?');
    let added = 0;
    for (const id of consumedStagedIds) {
      added += (mass.get(id) as { mass: number } | undefined)?.mass ?? 0;
      del.run(id);
    }
    db.prepare('UPDATE packages SET counts_merged = counts_merged + ? WHERE name = ?').run(added, gen.package);
  })();
}

function mapPackage(r: Record<string, unknown>): PackageRecord {
  return {
    name: r.name as string,
    toolchain: r.toolchain as string,
    generation: r.generation as number,
    mergedPath: r.merged_path as string | null,
    mergedSha256: r.merged_sha256 as string | null,
    mergedBytes: r.merged_bytes as number,
    bytesHarvested: r.bytes_harvested as number,
    filesHarvested: r.files_harvested as number,
    countsMerged: r.counts_merged as number,
    runs: r.unit_runs as number,
    functionsNonzero: r.functions_nonzero as number | null,
    overlap: r.overlap as number | null,
    updatedAt: r.updated_at as string | null,
  };
}
