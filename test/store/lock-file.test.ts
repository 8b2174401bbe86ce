import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  emptyLockFile,
  parseLockFile,
  renderLockFile,
  withLockedProfile,
  withoutLockedProfile,
  type LockedProfile,
} from '../../src/store/lock-file.js';
import { lockProfile, unlockProfile } from '../../src/store/store-profile.js';
import { nixSystemOf } from '../../src/store/nix-system.js';
import { LOCK_SCHEMA_PATH, LockFileSchema } from '../../src/store/lock-file-schema.js';
import { renderSchemaFile } from '../../src/formats/schema-file.js';
import { Value } from '@sinclair/typebox/value';
import { makeTempDir } from '../support/nix.js';

const entry = (name: string, fields: Partial<LockedProfile> = {}): LockedProfile => ({
  storePath: `/nix/store/00000000000000000000000000000000-pgo-${name}.profdata`,
  hashMode: 'flat',
  hash: 'sha256:0000000000000000000000000000000000000000000000000000000000000001',
  generation: 3,
  lockedAt: '2026-11-26T05:27:45.176Z',
  ...fields,
});

describe('the lock file', () => {
  it('drops one package and keeps the others', () => {
    const lock = withLockedProfile(
      withLockedProfile(emptyLockFile(), 'calc', entry('calc')),
      'wordfreq',
      entry('wordfreq'),
    );
    assert.deepEqual(Object.keys(withoutLockedProfile(lock, 'calc').packages), ['wordfreq']);
    assert.equal(withoutLockedProfile(lock, 'nope'), lock, 'no entry: the same lock');
  });

  it('reads entries with a system and the entries of older lock files without one, and refuses a malformed system', () => {
    const text = renderLockFile(
      withLockedProfile(
        withLockedProfile(emptyLockFile(), 'calc', entry('calc', { system: 'x86_64-linux' })),
        'old',
        entry('old'),
      ),
    );
    const lock = parseLockFile(text, 'pgo-lock.json');
    assert.equal(lock.packages.calc!.system, 'x86_64-linux');
    assert.equal('system' in lock.packages.old!, false);
    const bad = text.replace('"x86_64-linux"', '"x86_64 linux"');
    assert.throws(
      () => parseLockFile(bad, 'pgo-lock.json'),
      /packages\.calc\.system must be a Nix system such as x86_64-linux/,
    );
  });

  it('unlockProfile removes the entry on disk and says whether there was one', () => {
    const file = join(makeTempDir('unlock'), 'pgo-lock.json');
    assert.equal(unlockProfile(file, 'calc'), false);
    assert.equal(existsSync(file), false, 'no lock file is written for nothing');
    lockProfile(file, 'calc', entry('calc'));
    lockProfile(file, 'wordfreq', entry('wordfreq'));
    assert.equal(unlockProfile(file, 'calc'), true);
    assert.deepEqual(Object.keys(parseLockFile(readFileSync(file, 'utf8'), file).packages), ['wordfreq']);
    writeFileSync(file, renderLockFile(emptyLockFile()));
    assert.equal(unlockProfile(file, 'wordfreq'), false);
  });
});

describe('nixSystemOf', () => {
  it('names the Nix system of a Node architecture and platform, or none where it is not one to one', () => {
    assert.equal(nixSystemOf('x64', 'linux'), 'x86_64-linux');
    assert.equal(nixSystemOf('arm64', 'linux'), 'aarch64-linux');
    assert.equal(nixSystemOf('arm64', 'darwin'), 'aarch64-darwin');
    assert.equal(nixSystemOf('x64', 'darwin'), 'x86_64-darwin');
    assert.equal(nixSystemOf('ia32', 'linux'), 'i686-linux');
    assert.equal(nixSystemOf('riscv64', 'linux'), 'riscv64-linux');
    assert.equal(nixSystemOf('arm', 'linux'), null);
    assert.equal(nixSystemOf('x64', 'win32'), null);
  });
});

describe('schema/lock.schema.json', () => {
  const committed = readFileSync(new URL(`../../../${LOCK_SCHEMA_PATH}`, import.meta.url), 'utf8');

  it('is what the definition generates (run `npm run schema` after changing src/store/lock-file-schema.ts)', () => {
    assert.equal(committed, renderSchemaFile(LockFileSchema));
  });

  it('describes what the daemon writes and the lock files of the tests, exactly', () => {
    const written = renderLockFile(
      withLockedProfile(
        withLockedProfile(emptyLockFile(), 'calc', entry('calc', { system: 'x86_64-linux' })),
        'calc',
        entry('calc', { hashMode: 'recursive' }),
        'boltProfiles',
      ),
    );
    const fixture = readFileSync(new URL('../../../nix/tests/nixos-lock.json', import.meta.url), 'utf8');
    for (const text of [written, fixture]) {
      assert.deepEqual([...Value.Errors(LockFileSchema, JSON.parse(text))], []);
      assert.ok(parseLockFile(text, 'pgo-lock.json'));
    }
  });

  it('refuses another version and names every wrong member with what it must be', () => {
    const v2 = readFileSync(new URL('../../../nix/tests/nixos-lock-v2.json', import.meta.url), 'utf8');
    assert.throws(() => parseLockFile(v2, 'pgo-lock.json'), /version must be 1/);
    const bad = { version: 1, packages: { calc: { ...entry('calc'), hashMode: 'deep', hash: 'md5:00' } } };
    assert.throws(
      () => parseLockFile(JSON.stringify(bad), 'pgo-lock.json'),
      /packages\.calc\.hashMode must be flat or recursive\n {2}- packages\.calc\.hash must be a hash that starts with sha256:/,
    );
  });
});
