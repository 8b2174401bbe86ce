/**
 * The state database (one SQLite file in the state dir, WAL). Every table is
 * created here by a versioned migration; each runs once, in order, inside a
 * transaction. Only modules in src/state/ run SQL.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { StateError } from '../errors/errors.js';

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
  `
  -- Whose data each copy is (the uid that owns it; -1: harvested before contributors were recorded),
  -- how many runs of which binary or object it holds ({"<build id or gcda path>": runs}), and its
  -- mass (the sum of its counters), which weighs contributors against each other.
  ALTER TABLE staged ADD COLUMN contributor INTEGER NOT NULL DEFAULT -1;
  ALTER TABLE staged ADD COLUMN runs TEXT NOT NULL DEFAULT '{}';
  ALTER TABLE staged ADD COLUMN mass REAL NOT NULL DEFAULT 0;
  -- What settles a take once its copy is journaled: truncating the file (gcda), or unlinking it (raw profiles).
  ALTER TABLE takes ADD COLUMN settle TEXT NOT NULL DEFAULT 'truncate';
  -- Each contributor's own merged profile of a package; the package's profile combines them.
  CREATE TABLE contributions (
    package TEXT NOT NULL,
    contributor INTEGER NOT NULL,
    generation INTEGER NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    mass REAL NOT NULL,
    bytes_harvested INTEGER NOT NULL DEFAULT 0,
    files_harvested INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (package, contributor)
  );
  -- Runs seen per contributor and unit (a binary's build id, or a gcda file's path); a package's runs are
  -- those of its most-run unit, so an executable and its shared library count one run once.
  CREATE TABLE run_units (
    package TEXT NOT NULL,
    contributor INTEGER NOT NULL,
    unit TEXT NOT NULL,
    runs INTEGER NOT NULL,
    PRIMARY KEY (package, contributor, unit)
  ) WITHOUT ROWID;
  `,
  `
  -- The last snapshot of each live raw profile (continuous collection) that was merged: the next snapshot
  -- minus this one is what its programs counted since. Replaced in the transaction that stages the difference.
  CREATE TABLE live_snapshots (
    path TEXT PRIMARY KEY,
    dev TEXT NOT NULL,
    ino TEXT NOT NULL,
    uid INTEGER NOT NULL,
    package TEXT NOT NULL,
    bytes BLOB NOT NULL,
    taken_at TEXT NOT NULL,
    ended INTEGER NOT NULL DEFAULT 0
  );
  `,
  `
  -- Staged copies may be BOLT profiles (kind fdata): the kind check is widened by rebuilding the table.
  CREATE TABLE staged_new (
    id INTEGER PRIMARY KEY,
    harvest_id INTEGER,
    package TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('llvm', 'gcda', 'fdata')),
    path TEXT NOT NULL UNIQUE,
    rel_path TEXT,
    bytes INTEGER NOT NULL,
    files INTEGER NOT NULL,
    ready INTEGER NOT NULL DEFAULT 0,
    contributor INTEGER NOT NULL DEFAULT -1,
    runs TEXT NOT NULL DEFAULT '{}',
    mass REAL NOT NULL DEFAULT 0
  );
  INSERT INTO staged_new (id, harvest_id, package, kind, path, rel_path, bytes, files, ready, contributor, runs, mass)
    SELECT id, harvest_id, package, kind, path, rel_path, bytes, files, ready, contributor, runs, mass FROM staged;
  DROP TABLE staged;
  ALTER TABLE staged_new RENAME TO staged;
  CREATE INDEX staged_ready ON staged (package, ready);
  `,
  `
  -- What the data threshold counts: the sum of every counter the merges added (each merged input's mass), for
  -- exited programs' files and the growth of running programs' live files alike. The contributors' masses are
  -- exactly that sum for what was merged before.
  ALTER TABLE packages ADD COLUMN counts_merged REAL NOT NULL DEFAULT 0;
  UPDATE packages SET counts_merged = COALESCE((SELECT SUM(mass) FROM contributions c WHERE c.package = packages.name), 0);
  -- The daemon's collector in this state directory (one row): its pid, since when it follows the spool, its last
  -- pass, and whether it stopped cleanly, so status can tell a daemon that died from one that runs.
  CREATE TABLE collector_heartbeat (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pid INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    last_pass_at TEXT,
    stopped_at TEXT
  );
  `,
  `
  -- What the collector's last pass found in the spool that was not its to take: files of other users or
  -- daemons (left alone) and user directory names others took (squats), as one JSON document.
  CREATE TABLE spool_report (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT NOT NULL, data TEXT NOT NULL);
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
    if (current > SCHEMA_VERSION) throw newerSchemaError(current);
    for (let version = current; version < SCHEMA_VERSION; version++) {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }
  }).immediate();
}

function newerSchemaError(version: number): StateError {
  return new StateError(
    'STATE',
    `state database schema ${version} is newer than this nix-pgo understands (${SCHEMA_VERSION})`,
    {
      hints: ['use the nix-pgo version that wrote it, or move the state directory away'],
    },
  );
}

/**
 * Opens the database for reading only (`status`, `doctor`, `gc`), or returns
 * null when there is none yet (a fresh install: nothing collected). It creates
 * nothing: no directory, no database and no migration, so a command run as
 * root (`sudo nix-pgo status`) leaves no file the daemon's user cannot open.
 *
 * A WAL database is read through its `-shm` file. While the daemon has the
 * database open, both exist and this connection reads what the daemon
 * committed, WAL included. When no process has it open, SQLite creates `-wal`
 * and `-shm` for this connection and keeps them afterwards (a read-only
 * connection does not remove them); as root it gives them to the database's
 * owner, as it does for every file it creates beside a database.
 */
export function openDatabaseReadOnly(file: string): Db | null {
  if (!existsSync(file)) return null;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const version = readVersion(db, file);
    if (version > SCHEMA_VERSION) throw newerSchemaError(version);
    // A database created by a process that died before migrating holds nothing yet.
    if (version === 0) {
      db.close();
      return null;
    }
    if (version < SCHEMA_VERSION) {
      throw new StateError(
        'STATE',
        `state database schema ${version} is older than this nix-pgo's (${SCHEMA_VERSION}), and reading does not migrate it`,
        {
          hints: [
            'restart the daemon, which migrates it when it starts (NixOS: systemctl restart nix-pgo)',
            'or run a command that writes (nix-pgo harvest) as the user the daemon runs as',
          ],
        },
      );
    }
    return db;
  } catch (error) {
    if (db.open) db.close();
    throw error;
  }
}

/**
 * The schema version: the first read. A user who may not write the state
 * directory can read a WAL database only while a process has it open (its
 * `-shm` file exists); otherwise SQLite cannot make the files it reads through.
 */
function readVersion(db: Db, file: string): number {
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } catch (error) {
    if ((error as { code?: string }).code !== 'SQLITE_READONLY_DIRECTORY') throw error;
    throw new StateError(
      'STATE',
      `cannot read ${file}: no process has it open, and ${dirname(file)} is not writable for this user`,
      {
        hints: [
          'run this as the user the daemon runs as (NixOS: sudo -u nix-pgo …) or as root, or while the daemon runs',
        ],
      },
    );
  }
}

/** Opens the database read-only (null: none yet), runs `act`, and closes it whatever happens. */
export async function withDatabaseReadOnly<T>(file: string, act: (db: Db | null) => T | Promise<T>): Promise<T> {
  const db = openDatabaseReadOnly(file);
  try {
    return await act(db);
  } finally {
    db?.close();
  }
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

/** Runs `body` in one transaction: the rows it writes are committed together, once. */
export function inTransaction<T>(db: Db, body: () => T): T {
  return db.transaction(body)();
}
