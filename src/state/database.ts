/**
 * The state database (one SQLite file in the state dir, WAL). Every table is
 * created here by a versioned migration; each runs once, in order, inside a
 * transaction. Only modules in src/state/ run SQL.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { NixPgoError } from '../errors/errors.js';

export type Db = Database.Database;

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE packages (
    name TEXT PRIMARY KEY,
    toolchain TEXT NOT NULL,
    generation INTEGER NOT NULL DEFAULT 0,
    merged_path TEXT,
    merged_sha256 TEXT,
    merged_bytes INTEGER NOT NULL DEFAULT 0,
    bytes_harvested INTEGER NOT NULL DEFAULT 0,
    files_harvested INTEGER NOT NULL DEFAULT 0,
    runs INTEGER,
    functions_nonzero INTEGER,
    overlap REAL,
    updated_at TEXT
  );
  CREATE TABLE generations (
    package TEXT NOT NULL,
    generation INTEGER NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    inputs INTEGER NOT NULL,
    runs INTEGER,
    functions_nonzero INTEGER,
    overlap REAL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (package, generation)
  );
  -- A harvest row exists only while its sources may still hold what was copied (before truncation is confirmed).
  CREATE TABLE harvests (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL);
  CREATE TABLE takes (
    id INTEGER PRIMARY KEY,
    harvest_id INTEGER NOT NULL REFERENCES harvests(id),
    source_path TEXT NOT NULL,
    uid INTEGER NOT NULL,
    dev TEXT NOT NULL,
    ino TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    pieces TEXT NOT NULL
  );
  CREATE TABLE staged (
    id INTEGER PRIMARY KEY,
    harvest_id INTEGER,
    package TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('llvm', 'gcda')),
    path TEXT NOT NULL UNIQUE,
    rel_path TEXT,
    bytes INTEGER NOT NULL,
    files INTEGER NOT NULL,
    ready INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX staged_ready ON staged (package, ready);
  CREATE TABLE quarantine (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    reason TEXT NOT NULL,
    source_path TEXT NOT NULL,
    uid INTEGER,
    package TEXT,
    detail TEXT NOT NULL,
    kept_path TEXT,
    bytes INTEGER NOT NULL
  );
  `,
  `
  -- Functions seen with a nonzero counter, per package: counts only grow, so the merged profile's set is the union.
  CREATE TABLE function_hits (package TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (package, key)) WITHOUT ROWID;
  `,
  `
  -- Where each managed package is in its lifecycle (one JSON record per package) and every step that led there.
  -- Version 0.1 created these tables outside the migrations as slots and slot_events: they are kept and renamed.
  CREATE TABLE IF NOT EXISTS slots (name TEXT PRIMARY KEY, data TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS slot_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    time TEXT NOT NULL,
    event TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    detail TEXT NOT NULL
  );
  DROP INDEX IF EXISTS slot_events_by_name;
  ALTER TABLE slots RENAME TO lifecycle;
  ALTER TABLE slot_events RENAME TO lifecycle_events;
  CREATE INDEX lifecycle_events_by_name ON lifecycle_events (name, id);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function openDatabase(file: string): Db {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  // First, so that the statements below wait for another process instead of failing.
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  // FULL makes every commit durable, so a commit is a point the engine can rely on after a crash.
  db.pragma('synchronous = FULL');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  // IMMEDIATE takes the write lock before reading the version, so two processes
  // opening a new state dir at once (daemon and status) cannot both migrate.
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw new NixPgoError('STATE', `state database schema ${current} is newer than this nix-pgo understands (${SCHEMA_VERSION})`, {
        hints: ['use the nix-pgo version that wrote it, or move the state directory away'],
      });
    }
    for (let version = current; version < SCHEMA_VERSION; version++) {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }
  }).immediate();
}

/** Opens the database, runs `act`, and closes it whatever happens. */
export async function withDatabase<T>(file: string, act: (db: Db) => T | Promise<T>): Promise<T> {
  const db = openDatabase(file);
  try {
    return await act(db);
  } finally {
    db.close();
  }
}
