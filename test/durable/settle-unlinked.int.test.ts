/**
 * A harvested raw profile is unlinked and emptied, its descriptor kept for the
 * drain list (native/settle_unlinked.c): a program that opened it before the
 * unlink writes into an empty file the collector still holds. A path that
 * names another file by now is left alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, fstatSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { settleUnlinked } from '../../src/durable/record-lock.js';
import { tempDir } from '../support/spool-fixture.js';

function hold(path: string): { path: string; fd: number; dev: bigint; ino: bigint } {
  const fd = openSync(path, 'r+');
  const st = fstatSync(fd, { bigint: true });
  return { path, fd, dev: st.dev, ino: st.ino };
}

test('unlinked and emptied, descriptors kept; a path naming a newer file is left alone', async () => {
  const dir = tempDir('settle');
  for (const name of ['alone', 'shared', 'renamed']) writeFileSync(join(dir, name), `${name} profile`);
  // A late writer: a process that opened the file before the harvest unlinks it.
  const writer = spawn('sh', ['-c', `exec 3<>${join(dir, 'shared')}; echo open; read line; echo late >&3`], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await once(writer.stdout!, 'data');
  const held = ['alone', 'shared', 'renamed'].map((name) => hold(join(dir, name)));
  // Its owner renamed one meanwhile, and a new program made a file under the old name.
  renameSync(join(dir, 'renamed'), join(dir, 'renamed-away'));
  writeFileSync(join(dir, 'renamed'), 'a newer run');

  try {
    assert.deepEqual(await settleUnlinked(held), [0, 0, 0]);
    for (const h of held) assert.equal(fstatSync(h.fd).size, 0, `${h.path}: emptied, still open`);
    assert.ok(!existsSync(join(dir, 'alone')) && !existsSync(join(dir, 'shared')), 'unlinked');
    assert.equal(readFileSync(join(dir, 'renamed'), 'utf8'), 'a newer run', 'the newer file is left alone');
    writer.stdin!.end('go\n');
    await once(writer, 'exit');
    assert.equal(fstatSync(held[1]!.fd).size, 5, 'the late write lands in the file the collector holds');
  } finally {
    writer.kill();
    for (const h of held) closeSync(h.fd);
  }
});
