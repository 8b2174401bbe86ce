/**
 * The harvest opens, checks, locks and reads a batch's files in the thread
 * pool (native/take_files.c). What the scan saw may have changed since, so each
 * file is checked again on its descriptor: these are real files, links, a
 * fifo, another uid's file and a file another process holds the lock of.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, closeSync, fstatSync, linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lockHolder } from '../../src/durable/record-lock.js';
import { takeSpoolFiles } from '../../src/harvest/open-spool-file.js';
import { run } from '../../src/process/run.js';
import { repoRoot } from '../support/nix.js';
import { tempDir } from '../support/spool-fixture.js';

const SELF = process.getuid!();
const OTHER_UID = 5301;

test('each file is checked on its descriptor, locked without waiting and read whole, or refused with its reason', async () => {
  const dir = join(tempDir('take-files'), 'spool');
  mkdirSync(dir);
  const path = (name: string) => join(dir, name);
  writeFileSync(path('good.profraw'), 'profile bytes');
  writeFileSync(path('empty.profraw'), '');
  writeFileSync(path('large.profraw'), Buffer.alloc(5000, 7));
  writeFileSync(path('secret'), 'not yours');
  symlinkSync(path('secret'), path('symlink.profraw'));
  writeFileSync(path('linked.profraw'), 'two names');
  linkSync(path('linked.profraw'), path('second-name'));
  await run('mkfifo', [path('fifo.profraw')]);
  writeFileSync(path('other.profraw'), 'someone else');
  chownSync(path('other.profraw'), OTHER_UID, OTHER_UID);
  writeFileSync(path('busy.profraw'), 'being written');

  // A program writing its profile: it holds the file's record lock until told to stop.
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `const fs = require('node:fs');
       const addon = require(${JSON.stringify(join(repoRoot, 'build/Release/record_lock.node'))});
       const fd = fs.openSync(${JSON.stringify(path('busy.profraw'))}, 'r+');
       addon.tryLockWrite(fd);
       process.stdout.write('locked\\n');
       process.stdin.once('data', () => process.exit(0));`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  await once(holder.stdout!, 'data');

  const names = [
    'good.profraw',
    'empty.profraw',
    'large.profraw',
    'symlink.profraw',
    'linked.profraw',
    'fifo.profraw',
    'other.profraw',
    'gone.profraw',
    'busy.profraw',
  ];
  const taken = await takeSpoolFiles(
    names.map((name) => ({ path: path(name), uid: SELF })),
    4096,
  );
  const byName = new Map(names.map((name, i) => [name, taken[i]!]));
  try {
    const good = byName.get('good.profraw')!;
    assert.ok(good.ok && good.locked);
    assert.equal(good.bytes?.toString(), 'profile bytes');
    assert.equal(fstatSync(good.fd).ino, Number(good.ino), 'the descriptor is the file it names');
    const empty = byName.get('empty.profraw')!;
    assert.ok(empty.ok && empty.locked);
    assert.equal(empty.bytes?.length, 0);
    const large = byName.get('large.profraw')!;
    assert.ok(large.ok && large.locked, 'over the cap: locked, so the harvest can drop it');
    assert.equal(large.bytes, null, 'and not read');
    assert.equal(large.size, 5000);
    assert.deepEqual(refusal(byName.get('symlink.profraw')!), { reason: 'symlink', detail: 'symlink' });
    assert.deepEqual(refusal(byName.get('linked.profraw')!), { reason: 'hard-link', detail: '2 links' });
    assert.deepEqual(refusal(byName.get('fifo.profraw')!), { reason: 'not-regular', detail: 'not a regular file' });
    assert.deepEqual(refusal(byName.get('other.profraw')!), {
      reason: 'wrong-owner',
      detail: `owned by uid ${OTHER_UID}, not ${SELF}`,
    });
    assert.deepEqual(refusal(byName.get('gone.profraw')!), { reason: null, detail: 'cannot open: ENOENT' });
    const busy = byName.get('busy.profraw')!;
    assert.ok(busy.ok);
    assert.equal(busy.locked, false, 'another process holds the lock: left to the caller to wait for');
    assert.equal(busy.bytes, null, 'not read without the lock');
    assert.equal(lockHolder(busy.fd), holder.pid, 'the writer still holds it');
  } finally {
    for (const t of taken) if (t.ok) closeSync(t.fd);
    holder.stdin!.write('done\n');
    await once(holder, 'exit');
  }
});

function refusal(t: Awaited<ReturnType<typeof takeSpoolFiles>>[number]): { reason: string | null; detail: string } {
  assert.ok(!t.ok, 'refused');
  return { reason: t.reason, detail: t.detail };
}
