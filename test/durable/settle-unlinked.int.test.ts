/**
 * A harvested raw profile is unlinked, then closed when nobody else has it
 * open (nobody can write to it again), or emptied and kept open for the drain
 * list when someone has (a late writer waiting for our lock). The kernel says
 * which through a write lease, granted only to the file's owner or a holder
 * of CAP_LEASE: without it the file is always emptied and kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, closeSync, existsSync, fstatSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { settleUnlinked } from '../../src/durable/record-lock.js';
import { run } from '../../src/process/run.js';
import { repoRoot } from '../support/nix.js';
import { tempDir } from '../support/spool-fixture.js';

const OTHER_UID = 5302;

function hold(path: string): { path: string; fd: number; dev: bigint; ino: bigint } {
  const fd = openSync(path, 'r+');
  const st = fstatSync(fd, { bigint: true });
  return { path, fd, dev: st.dev, ino: st.ino };
}

function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

test('alone: unlinked and closed; open elsewhere, or still named elsewhere: emptied and kept open', async () => {
  const dir = tempDir('settle');
  for (const name of ['alone', 'shared', 'renamed']) writeFileSync(join(dir, name), `${name} profile`);
  // A late writer: a process that opened the file before the harvest unlinks it.
  const writer = spawn('sh', ['-c', `exec 3<>${join(dir, 'shared')}; echo open; read line`], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await once(writer.stdout!, 'data');
  const held = ['alone', 'shared', 'renamed'].map((name) => hold(join(dir, name)));
  // Its owner renamed it meanwhile, and a new program made a file under the old name.
  renameSync(join(dir, 'renamed'), join(dir, 'renamed-away'));
  writeFileSync(join(dir, 'renamed'), 'a newer run');

  const outcomes = await settleUnlinked(held);
  assert.deepEqual(outcomes, [{ kind: 'closed' }, { kind: 'emptied' }, { kind: 'emptied' }]);
  const [alone, shared, renamed] = held;
  assert.equal(isOpen(alone!.fd), false, 'nobody else had it: closed');
  assert.ok(!existsSync(join(dir, 'alone')));
  assert.equal(fstatSync(shared!.fd).size, 0, 'the late writer writes into an empty file we still hold');
  assert.ok(!existsSync(join(dir, 'shared')));
  assert.equal(fstatSync(renamed!.fd).size, 0, 'a file that still has a name is only emptied');
  assert.ok(existsSync(join(dir, 'renamed-away')));
  assert.equal((await run('cat', [join(dir, 'renamed')])).stdout, 'a newer run', 'the newer file is left alone');
  closeSync(shared!.fd);
  closeSync(renamed!.fd);
  writer.stdin!.end('done\n');
  await once(writer, 'exit');
});

test("without CAP_LEASE another user's file is emptied and kept open, its own file still closed", async () => {
  const dir = tempDir('settle-nolease');
  writeFileSync(join(dir, 'mine'), 'a profile of root');
  writeFileSync(join(dir, 'theirs'), 'a profile of another user');
  chownSync(join(dir, 'theirs'), OTHER_UID, OTHER_UID);
  // Root without CAP_LEASE, as the daemon's unit runs (no capabilities): the owner check decides.
  const script = `
    const fs = require('node:fs');
    const addon = require(${JSON.stringify(join(repoRoot, 'build/Release/record_lock.node'))});
    const files = ['mine', 'theirs'].map((n) => ${JSON.stringify(dir)} + '/' + n);
    const fds = files.map((f) => fs.openSync(f, 'r+'));
    const st = fds.map((fd) => fs.fstatSync(fd, { bigint: true }));
    addon.settleUnlinked(files, Int32Array.from(fds), BigUint64Array.from(st, (s) => s.dev), BigUint64Array.from(st, (s) => s.ino))
      .then((codes) => process.stdout.write(JSON.stringify({ codes, theirsSize: fs.fstatSync(fds[1]).size })));`;
  const { stdout } = await run('setpriv', [
    '--inh-caps=-lease',
    '--bounding-set=-lease',
    process.execPath,
    '-e',
    script,
  ]);
  assert.deepEqual(JSON.parse(stdout), { codes: [1, 0], theirsSize: 0 }, '1: closed, 0: emptied and kept');
  assert.ok(!existsSync(join(dir, 'mine')) && !existsSync(join(dir, 'theirs')), 'both unlinked');
});
