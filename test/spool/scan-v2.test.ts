/** The v2 layout as the scan reads it: per-user directories, the writer's fallback names, squats, sparse files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asideName, scanSpool } from '../../src/spool/scan.js';

const ROOT_ONLY = process.getuid?.() !== 0 ? 'needs root (chown)' : false;

test("user directories and fallbacks are read as their owner's; every other name in <fmt>/ is a reject", {
  skip: ROOT_ONLY,
}, () => {
  const spool = mkdtempSync(join(tmpdir(), 'nix-pgo-scan-v2-'));
  try {
    const llvm = join(spool, 'llvm');
    mkdirSync(llvm, { mode: 0o1733 });
    const userDir = (name: string, owner: number) => {
      const dir = join(llvm, name);
      mkdirSync(dir, { mode: 0o700 });
      chownSync(dir, owner, owner);
      return dir;
    };
    const file = (path: string, owner: number, bytes = 'x') => {
      writeFileSync(path, bytes);
      chownSync(path, owner, owner);
    };
    file(join(userDir('1000', 1000), '1-2.profraw'), 1000);
    file(join(userDir('1000.aB3xYz', 1000), '3-4.profraw'), 1000);
    file(join(userDir('1001', 1002), '5-6.profraw'), 1002); // squatted by 1002
    symlinkSync('/etc', join(llvm, '1003'));
    file(join(llvm, '7-8.profraw'), 1000); // the layout before user directories
    const mine = userDir('1004', 1004);
    file(join(mine, '9-9.profraw'), 1005); // not the directory owner's file
    mkdirSync(join(llvm, asideName(join(llvm, '1006')).split('/').pop()!));
    const sparse = join(mine, '10-10.profraw');
    file(sparse, 1004);
    truncateSync(sparse, 100 * 1024 ** 3);
    chmodSync(llvm, 0o1733);

    const scan = scanSpool(spool, { trustedOwners: new Set([0]), selfUid: 0 });
    assert.deepEqual(
      scan.files.map((f) => [f.path.slice(spool.length), f.uid]),
      [
        ['/llvm/1000/1-2.profraw', 1000],
        ['/llvm/1000.aB3xYz/3-4.profraw', 1000],
        ['/llvm/1004/10-10.profraw', 1004],
      ],
    );
    assert.deepEqual(
      scan.rejects.map((r) => [
        r.path.slice(spool.length),
        r.reason,
        r.squat ? [r.squat.uid, r.squat.by] : null,
        r.movable,
      ]),
      [
        ['/llvm/1001', 'squatted', [1001, 1002], true],
        ['/llvm/1003', 'squatted', [1003, 0], true],
        ['/llvm/1004/9-9.profraw', 'wrong-owner', null, false],
        ['/llvm/7-8.profraw', 'odd-name', null, true],
      ],
    );
    assert.equal(scan.movedAside.length, 1, 'what was moved aside is passed over');
    assert.ok(scan.totalBytes < 1024 ** 2, `a sparse file counts what it takes on disk (${scan.totalBytes} bytes)`);
    assert.ok(!scan.files.some((f) => f.path.includes('1001')), 'nothing is read below a squatted name');
  } finally {
    rmSync(spool, { recursive: true, force: true });
  }
});
