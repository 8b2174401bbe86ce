/** The directory BOLT-instrumented programs write to: created 1733, repaired, refused when someone else controls it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, lstatSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BOLT_DIR_MODE, ensureBoltDir } from '../../src/spool/bolt-dir.js';
import { tempDir } from '../support/spool-fixture.js';

const me = process.getuid!();

test('a missing directory and parent are created; the directory gets mode 1733 whatever the umask', () => {
  const root = tempDir('boltdir');
  const dir = join(root, 'nix-pgo', 'bolt');
  const umask = process.umask(0o077);
  try {
    assert.equal(ensureBoltDir(dir, me), null);
  } finally {
    process.umask(umask);
  }
  assert.equal(lstatSync(dir).mode & 0o7777, BOLT_DIR_MODE);
  chmodSync(dir, 0o700);
  assert.equal(ensureBoltDir(dir, me), null, 'a wrong mode of our own directory is repaired');
  assert.equal(lstatSync(dir).mode & 0o7777, BOLT_DIR_MODE);
});

test('a directory or parent someone else owns, a symlink, or a parent others may write to is refused with the fix', {
  skip: me !== 0 && 'needs root to give files away',
}, () => {
  const root = tempDir('boltdir-bad');
  const foreignParent = join(root, 'a');
  mkdirSync(foreignParent);
  chownSync(foreignParent, 65534, 65534);
  assert.match(ensureBoltDir(join(foreignParent, 'bolt'), me) ?? '', /owned by uid 65534.*defaultProfileDir/);

  const parent = join(root, 'b');
  mkdirSync(parent);
  symlinkSync('/tmp', join(parent, 'bolt'));
  assert.match(ensureBoltDir(join(parent, 'bolt'), me) ?? '', /is a symlink; remove it/);

  const open = join(root, 'c');
  mkdirSync(open);
  chmodSync(open, 0o777);
  assert.match(ensureBoltDir(join(open, 'bolt'), me) ?? '', /can be written by other users/);
  chmodSync(open, 0o1777);
  assert.equal(ensureBoltDir(join(open, 'bolt'), me), null, 'a sticky parent (like /tmp) is fine');

  const theirs = join(root, 'd');
  mkdirSync(join(theirs, 'bolt'), { recursive: true });
  chownSync(join(theirs, 'bolt'), 65534, 65534);
  assert.match(ensureBoltDir(join(theirs, 'bolt'), me) ?? '', /owned by uid 65534/);
});
