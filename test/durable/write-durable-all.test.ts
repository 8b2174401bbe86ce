import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDurableAll } from '../../src/durable/durable-file.js';

test('a file given as chunks is written whole and in order, beyond the 1024 buffers one writev takes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nix-pgo-durable-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const chunks = Array.from({ length: 3000 }, (_, i) => Buffer.from(`${i},`));
  chunks.splice(7, 0, Buffer.alloc(0));
  await writeDurableAll(dir, [
    { path: join(dir, 'chunks'), bytes: chunks },
    { path: join(dir, 'one'), bytes: Buffer.from('one buffer') },
  ]);
  assert.equal(readFileSync(join(dir, 'chunks'), 'utf8'), Array.from({ length: 3000 }, (_, i) => `${i},`).join(''));
  assert.equal(readFileSync(join(dir, 'one'), 'utf8'), 'one buffer');
});
