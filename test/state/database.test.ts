// Reading the state database without writing to it: what status and doctor do,
// also as root beside a daemon that runs as its own user.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { openDatabase, openDatabaseReadOnly, SCHEMA_VERSION, withDatabaseReadOnly } from '../../src/state/database.js';
import { listLifecycles } from '../../src/state/lifecycle-records.js';
import { makeTempDir, repoRoot } from '../support/nix.js';

/** As root the daemon's user is someone else, as on NixOS; otherwise both are this user. */
const asRoot = process.getuid?.() === 0;
const daemonUser = asRoot ? { uid: 65534, gid: 65534 } : { uid: process.getuid!(), gid: process.getgid!() };

/** A state directory of the daemon's user. */
function stateDir(name: string): string {
  const dir = makeTempDir(name);
  chownSync(dir, daemonUser.uid, daemonUser.gid);
  return dir;
}

/** Every file in `dir` belongs to the daemon's user (none to root, who could lock it out). */
function assertOwnedByDaemonUser(dir: string): void {
  for (const file of readdirSync(dir))
    assert.equal(statSync(join(dir, file)).uid, daemonUser.uid, `${file} belongs to the daemon's user`);
}

interface Holder {
  add(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts the daemon's hold on the database, as the daemon's user. */
async function startHolder(file: string): Promise<Holder> {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [join(repoRoot, 'dist/test/support/database-holder.js'), file],
    {
      uid: daemonUser.uid,
      gid: daemonUser.gid,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done) throw new Error(`the holder ended: ${stderr}`);
    return line.value;
  };
  assert.equal(await next(), 'ready');
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return {
    async add(name) {
      child.stdin.write(`add ${name}\n`);
      assert.equal(await next(), `ok ${name}`);
    },
    async close() {
      child.stdin.end();
      assert.equal(await exited, 0, stderr);
    },
  };
}

const names = (file: string) =>
  withDatabaseReadOnly(file, (db) => (db === null ? null : listLifecycles(db).map((r) => r.name)));

describe('openDatabaseReadOnly', () => {
  it('returns null where there is no database yet, and creates nothing', () => {
    const dir = join(makeTempDir('ro-missing'), 'state');
    assert.equal(openDatabaseReadOnly(join(dir, 'state.sqlite')), null);
    assert.equal(existsSync(dir), false);
  });

  it('reads what a running daemon committed, still in its WAL, and the daemon goes on writing', async () => {
    const dir = stateDir('ro-running');
    const file = join(dir, 'state.sqlite');
    const holder = await startHolder(file);
    try {
      await holder.add('calc');
      assert.ok(statSync(`${file}-wal`).size > 0, 'the commit is in the WAL');
      assert.deepEqual(await names(file), ['calc']);
      assertOwnedByDaemonUser(dir);
      await holder.add('wordfreq');
      assert.deepEqual(await names(file), ['calc', 'wordfreq']);
    } finally {
      await holder.close();
    }
    assertOwnedByDaemonUser(dir);
  });

  it('reads a database no process has open, and the daemon opens and writes it afterwards', async () => {
    const dir = stateDir('ro-stopped');
    const file = join(dir, 'state.sqlite');
    const first = await startHolder(file);
    await first.add('calc');
    await first.close();
    assert.deepEqual(readdirSync(dir), ['state.sqlite'], 'closing removed -wal and -shm');

    assert.deepEqual(await names(file), ['calc']);
    assertOwnedByDaemonUser(dir);

    const second = await startHolder(file);
    try {
      await second.add('wordfreq');
    } finally {
      await second.close();
    }
    assert.deepEqual(await names(file), ['calc', 'wordfreq']);
    assertOwnedByDaemonUser(dir);
  });

  it('as a user who may not write the state directory: reads while the daemon has it open, else says what to do', {
    skip: asRoot ? false : 'needs root to run as two other users',
  }, async () => {
    const dir = stateDir('ro-other-user');
    chmodSync(dir, 0o755);
    const file = join(dir, 'state.sqlite');
    const first = await startHolder(file);
    await first.add('calc');
    await first.close();
    // uid 1 (daemon on Debian) is neither the daemon's user nor root.
    const readAs = (uid: number) =>
      spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `
        import { withDatabaseReadOnly } from ${JSON.stringify(join(repoRoot, 'dist/src/state/database.js'))};
        import { listLifecycles } from ${JSON.stringify(join(repoRoot, 'dist/src/state/lifecycle-records.js'))};
        try { console.log(JSON.stringify(await withDatabaseReadOnly(${JSON.stringify(file)}, (db) => listLifecycles(db).map((r) => r.name)))); }
        catch (error) { console.log(JSON.stringify({ code: error.code, message: error.message, hints: error.hints })); }
      `,
        ],
        { uid, gid: uid, encoding: 'utf8' },
      );
    const refused = JSON.parse(readAs(1).stdout) as { code: string; message: string; hints: string[] };
    assert.equal(refused.code, 'STATE');
    assert.match(refused.message, /no process has it open, and .* is not writable for this user/);
    assert.match(refused.hints[0]!, /sudo -u nix-pgo/);
    const holder = await startHolder(file);
    try {
      assert.deepEqual(JSON.parse(readAs(1).stdout), ['calc']);
    } finally {
      await holder.close();
    }
  });

  it('cannot write', async () => {
    const file = join(makeTempDir('ro-write'), 'state.sqlite');
    openDatabase(file).close();
    const db = openDatabaseReadOnly(file)!;
    try {
      assert.throws(() => db.prepare("INSERT INTO lifecycle (name, data) VALUES ('x', '{}')").run(), /readonly/);
    } finally {
      db.close();
    }
  });

  it('reads no schema but its own: none yet is nothing, an older or a newer one is an error that says what to do', () => {
    const dir = makeTempDir('ro-schema');
    const file = (version: number) => {
      const path = join(dir, `v${version}.sqlite`);
      const db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma(`user_version = ${version}`);
      db.close();
      return path;
    };
    assert.equal(openDatabaseReadOnly(file(0)), null);
    assert.throws(
      () => openDatabaseReadOnly(file(SCHEMA_VERSION - 1)),
      (e: Error & { code?: string }) => e.code === 'STATE' && /older than this nix-pgo's/.test(e.message),
    );
    assert.throws(
      () => openDatabaseReadOnly(file(SCHEMA_VERSION + 1)),
      (e: Error & { code?: string }) => e.code === 'STATE' && /newer than this nix-pgo understands/.test(e.message),
    );
  });
});
