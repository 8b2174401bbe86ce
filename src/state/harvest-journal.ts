/**
 * The rows that make harvesting crash-safe. A harvest row and its takes exist
 * only between "copies are durable" and "sources are truncated"; staged rows
 * become ready when the harvest is confirmed, and vanish in the transaction
 * that records the merge which consumed them.
 */
import type { Db } from './database.js';
import { insertQuarantine, type QuarantineRecord } from './quarantine-records.js';

export interface TakePiece {
  /** Staging file the bytes went to, and where in it. */
  path: string;
  offset: number;
  length: number;
}

export interface TakeRecord {
  sourcePath: string;
  uid: number;
  dev: string;
  ino: string;
  size: number;
  sha256: string;
  pieces: TakePiece[];
  /**
   * What settles the take after the journal commit: truncate the file (gcda); unlink it and drain what a late
   * writer adds (raw profiles, one per process); or only unlink it (BOLT profiles, whose writer is gone).
   */
  settle: 'truncate' | 'unlink' | 'remove';
}

export interface NewStaged {
  package: string;
  kind: 'llvm' | 'gcda' | 'fdata';
  path: string;
  relPath: string | null;
  bytes: number;
  files: number;
  /** The uid whose data this is (-1: harvested before contributors were recorded). */
  contributor: number;
  /** Runs this copy holds per unit: a binary's build id (clang) or a gcda file's path (gcc). */
  runs: Record<string, number>;
  /** Sum of the counters. */
  mass: number;
}

export interface StagedRecord extends NewStaged {
  id: number;
}

const now = () => new Date().toISOString();

/** Records copies that are on disk but whose sources are not yet truncated. Returns the harvest id. */
export function beginHarvest(
  db: Db,
  takes: readonly TakeRecord[],
  staged: readonly NewStaged[],
  quarantine: readonly QuarantineRecord[],
): number {
  return db.transaction(() => {
    const harvestId = Number(db.prepare('INSERT INTO harvests (started_at) VALUES (?)').run(now()).lastInsertRowid);
    const takeStmt = db.prepare(
      'INSERT INTO takes (harvest_id, source_path, uid, dev, ino, size, sha256, pieces, settle) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const t of takes)
      takeStmt.run(harvestId, t.sourcePath, t.uid, t.dev, t.ino, t.size, t.sha256, JSON.stringify(t.pieces), t.settle);
    const stagedStmt = db.prepare(
      'INSERT INTO staged (harvest_id, package, kind, path, rel_path, bytes, files, ready, contributor, runs, mass) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)',
    );
    for (const s of staged)
      stagedStmt.run(
        harvestId,
        s.package,
        s.kind,
        s.path,
        s.relPath,
        s.bytes,
        s.files,
        s.contributor,
        JSON.stringify(s.runs),
        s.mass,
      );
    for (const q of quarantine) insertQuarantine(db, q);
    return harvestId;
  })();
}

/** The sources are settled: the staged copies now count (bytes, files and runs), and the harvest bookkeeping goes. */
export function confirmHarvest(db: Db, harvestId: number): void {
  db.transaction(() => {
    const rows = db
      .prepare('SELECT package, contributor, bytes, files, runs FROM staged WHERE harvest_id = ?')
      .all(harvestId) as {
      package: string;
      contributor: number;
      bytes: number;
      files: number;
      runs: string;
    }[];
    const bump = db.prepare(
      'UPDATE packages SET bytes_harvested = bytes_harvested + ?, files_harvested = files_harvested + ? WHERE name = ?',
    );
    const addRuns = db.prepare(
      'INSERT INTO run_units (package, contributor, unit, runs) VALUES (?, ?, ?, ?) ON CONFLICT (package, contributor, unit) DO UPDATE SET runs = runs + excluded.runs',
    );
    for (const r of rows) {
      bump.run(r.bytes, r.files, r.package);
      for (const [unit, runs] of Object.entries(JSON.parse(r.runs) as Record<string, number>))
        addRuns.run(r.package, r.contributor, unit, runs);
    }
    db.prepare('UPDATE staged SET ready = 1, harvest_id = NULL WHERE harvest_id = ?').run(harvestId);
    db.prepare('DELETE FROM takes WHERE harvest_id = ?').run(harvestId);
    db.prepare('DELETE FROM harvests WHERE id = ?').run(harvestId);
  })();
}

export function unfinishedHarvests(db: Db): { id: number; takes: TakeRecord[] }[] {
  const harvests = db.prepare('SELECT id FROM harvests ORDER BY id').all() as { id: number }[];
  return harvests.map(({ id }) => ({
    id,
    takes: (
      db
        .prepare(
          'SELECT source_path, uid, dev, ino, size, sha256, pieces, settle FROM takes WHERE harvest_id = ? ORDER BY id',
        )
        .all(id) as {
        source_path: string;
        uid: number;
        dev: string;
        ino: string;
        size: number;
        sha256: string;
        pieces: string;
        settle: 'truncate' | 'unlink';
      }[]
    ).map((r) => ({
      sourcePath: r.source_path,
      uid: r.uid,
      dev: r.dev,
      ino: r.ino,
      size: r.size,
      sha256: r.sha256,
      pieces: JSON.parse(r.pieces) as TakePiece[],
      settle: r.settle,
    })),
  }));
}

export function stagedOfHarvest(db: Db, harvestId: number): StagedRecord[] {
  return mapStaged(db.prepare('SELECT * FROM staged WHERE harvest_id = ? ORDER BY id').all(harvestId));
}

export function readyStaged(db: Db, pkg: string): StagedRecord[] {
  return mapStaged(db.prepare('SELECT * FROM staged WHERE package = ? AND ready = 1 ORDER BY id').all(pkg));
}

export function packagesWithReadyStaged(db: Db): string[] {
  return (
    db.prepare('SELECT DISTINCT package FROM staged WHERE ready = 1 ORDER BY package').all() as { package: string }[]
  ).map((r) => r.package);
}

export function allStagedPaths(db: Db): Set<string> {
  return new Set((db.prepare('SELECT path FROM staged').all() as { path: string }[]).map((r) => r.path));
}

/** Takes an input the merge tool cannot read out of the merge, recording why, in one transaction. */
export function quarantineStaged(db: Db, stagedId: number, entry: QuarantineRecord): void {
  db.transaction(() => {
    insertQuarantine(db, entry);
    db.prepare('DELETE FROM staged WHERE id = ?').run(stagedId);
  })();
}

/** Replaces a staged file's size after recovery removed pieces from it; deletes the row when nothing is left. */
export function shrinkStaged(
  db: Db,
  id: number,
  kept: { bytes: number; files: number; runs: Record<string, number>; mass: number },
): void {
  if (kept.bytes === 0) db.prepare('DELETE FROM staged WHERE id = ?').run(id);
  else
    db.prepare('UPDATE staged SET bytes = ?, files = ?, runs = ?, mass = ? WHERE id = ?').run(
      kept.bytes,
      kept.files,
      JSON.stringify(kept.runs),
      kept.mass,
      id,
    );
}

interface StagedRow {
  id: number;
  package: string;
  kind: 'llvm' | 'gcda' | 'fdata';
  path: string;
  rel_path: string | null;
  bytes: number;
  files: number;
  contributor: number;
  runs: string;
  mass: number;
}

function mapStaged(rows: unknown[]): StagedRecord[] {
  return (rows as StagedRow[]).map((r) => ({
    id: r.id,
    package: r.package,
    kind: r.kind,
    path: r.path,
    relPath: r.rel_path,
    bytes: r.bytes,
    files: r.files,
    contributor: r.contributor,
    runs: JSON.parse(r.runs) as Record<string, number>,
    mass: r.mass,
  }));
}
