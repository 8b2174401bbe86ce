import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emptyLockFile, parseLockFile, renderLockFile, withLockedProfile, type LockedProfile } from '../../src/store/lock-file.js';
import { nixSystemOf } from '../../src/store/nix-system.js';

const entry = (name: string, fields: Partial<LockedProfile> = {}): LockedProfile => ({
  storePath: `/nix/store/00000000000000000000000000000000-pgo-${name}.profdata`,
  hashMode: 'flat',
  hash: 'sha256:0000000000000000000000000000000000000000000000000000000000000001',
  generation: 3,
  lockedAt: '2026-11-26T05:27:45.176Z',
  ...fields,
});

describe('the lock file', () => {
  it('reads entries with a system and the entries of older lock files without one, and refuses a malformed system', () => {
    const text = renderLockFile(withLockedProfile(withLockedProfile(emptyLockFile(), 'calc', entry('calc', { system: 'x86_64-linux' })), 'old', entry('old')));
    const lock = parseLockFile(text, 'pgo-lock.json');
    assert.equal(lock.packages.calc!.system, 'x86_64-linux');
    assert.equal('system' in lock.packages.old!, false);
    const bad = text.replace('"x86_64-linux"', '"x86_64 linux"');
    assert.throws(() => parseLockFile(bad, 'pgo-lock.json'), /packages\.calc\.system must be a Nix system such as x86_64-linux/);
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
