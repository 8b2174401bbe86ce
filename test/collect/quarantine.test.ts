/**
 * Every quarantine class: the engine moves the entry out of the spool (or
 * copies what it may read), records the reason, never reads or alters a file
 * that is not the spool user's, and goes on merging the good profiles.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openTestCollector } from '../support/collector.js';
import { run } from '../../src/process/run.js';
import { stateLayout } from '../../src/state/state-layout.js';
import { spoolEnvironment } from '../../src/spool/spool-environment.js';
import { scanSpool } from '../../src/spool/scan.js';
import { openDatabase } from '../../src/state/database.js';
import { buildClangExample, buildGccExample, gcdaSpoolPathOf, runExample, tempDir } from '../support/spool-fixture.js';

const SPOOL_UID = 65534; // nobody: the spool user is not the engine's user, as on NixOS
const OTHER_UID = 1000;

function own(path: string, uid = SPOOL_UID): void {
  chownSync(path, uid, uid);
}

test('each quarantine class is recorded, the spool user cannot reach others\' files, good profiles still merge', async () => {
  const root = tempDir('quarantine');
  const clang = await buildClangExample(root, 'qgood');
  const stranger = await buildClangExample(root, 'qstranger');
  const gcc = await buildGccExample(root, 'qgcc');
  const locations = stateLayout(join(root, 'state'));

  // Real raw profiles, written by the engine's own user into a scratch spool, then placed as the spool user's.
  const scratch = join(root, 'scratch');
  await runExample(clang, scratch, 0);
  await runExample(gcc, scratch, 0);
  const raw = scanSpool(scratch).files;
  const largestRaw = raw.filter((f) => f.format === 'llvm').sort((a, b) => b.size - a.size)[0]!;
  const strangerSpool = join(root, 'scratch-stranger');
  await runExample(stranger, strangerSpool, 0);
  const strangerFile = scanSpool(strangerSpool).files[0]!.path;

  const user = join(locations.spoolDir, String(SPOOL_UID));
  const llvm = join(user, 'llvm');
  const gcda = join(user, 'gcda');
  mkdirSync(llvm, { recursive: true });
  mkdirSync(gcda, { recursive: true });
  for (const dir of [user, llvm, gcda]) own(dir);
  const place = (name: string, bytes: Buffer, uid = SPOOL_UID): string => {
    const path = join(llvm, name);
    writeFileSync(path, bytes);
    own(path, uid);
    return path;
  };

  // The good ones: the managed package's profiles (both %m files), run as the spool user would.
  const env = spoolEnvironment(locations.spoolDir, SPOOL_UID);
  chmodSync(root, 0o755);
  await run(clang.exe, [], { env: { ...process.env, ...env } });
  for (const name of readdirSync(llvm)) own(join(llvm, name));

  const sample = readFileSync(largestRaw.path);
  place('1_0.profraw', sample.subarray(0, sample.length - 40)); // truncated
  const badMagic = Buffer.from(sample);
  badMagic.writeUInt32LE(0xdeadbeef, 0);
  place('2_0.profraw', badMagic); // corrupt
  const v9 = Buffer.from(sample);
  v9.writeUInt8(9, 8);
  place('3_0.profraw', v9); // format-version
  // Not a managed build: the stranger package is built but not given to the engine.
  place('4_0.profraw', readFileSync(strangerFile)); // unknown-binary-id
  place('5_0.profraw', sample, OTHER_UID); // wrong-owner
  place('notes.txt', Buffer.from('hello')); // odd-name
  place('6_0.profraw', Buffer.alloc(5000, 1)); // too-large (cap below)
  const hard = place('7_0.profraw', sample);
  linkSync(hard, join(root, 'hardlink-elsewhere')); // hard-link
  await run('mkfifo', [join(llvm, '8_0.profraw')]); // not-regular
  own(join(llvm, '8_0.profraw'));
  // A secret the spool user may not read, and a symlink to it in their spool.
  const secret = join(root, 'secret');
  writeFileSync(secret, 'root only');
  chmodSync(secret, 0o600);
  symlinkSync(secret, join(llvm, '9_0.profraw'));
  // A names section llvm-profdata cannot decompress: the header is fine, the merge is not.
  const badNames = Buffer.from(sample);
  const namesAt = namesOffset(badNames);
  badNames.fill(0x5a, namesAt.offset, namesAt.offset + namesAt.size);
  place('10_0.profraw', badNames); // merge-failed

  // gcc: an unknown package dir, a gcda from another compiler version, a truncated gcda, and a good one.
  const gcdaFiles = raw.filter((f) => f.format === 'gcda');
  const goodGcda = gcdaFiles[0]!;
  const pkgDir = join(gcda, gcdaSpoolPathOf(gcc));
  const put = (dir: string, name: string, bytes: Buffer) => {
    // Every directory below the user's gcda/ must be theirs, as libgcov would have created it.
    for (let at = dir; at.startsWith(`${gcda}/`); at = dirname(at)) {
      mkdirSync(at, { recursive: true });
      own(at);
    }
    writeFileSync(join(dir, name), bytes);
    own(join(dir, name));
  };
  const gcdaBytes = readFileSync(goodGcda.path);
  put(join(gcda, 'nobody-knows-1.0'), 'a.gcda', gcdaBytes); // unknown-package
  const gcc13 = Buffer.from(gcdaBytes);
  gcc13.writeUInt8(0x33, 6); // version "B32*": GCC 13
  put(pkgDir, 'v13.gcda', gcc13); // format-version
  put(pkgDir, 'cut.gcda', gcdaBytes.subarray(0, gcdaBytes.length - 12)); // truncated
  put(pkgDir, goodGcda.gcdaPath!.slice(gcdaSpoolPathOf(gcc).length + 1).replace(/\//g, '#'), gcdaBytes);

  // A user directory owned by someone else.
  const foreignDir = join(locations.spoolDir, String(OTHER_UID));
  mkdirSync(join(foreignDir, 'llvm'), { recursive: true });
  writeFileSync(join(foreignDir, 'llvm', '1_0.profraw'), sample);

  const engine = openTestCollector({
    layout: locations,
    packages: [
      { name: clang.name, manifestPath: clang.manifestPath },
      { name: gcc.name, manifestPath: gcc.manifestPath },
    ],
    limits: { maxFileBytes: 4096, lockTimeoutMs: 200 },
  });
  try {
    const report = await engine.runOnce();
    assert.deepEqual(report.errors, []);
    const db = openDatabase(locations.database);
    const rows = db.prepare('SELECT reason, source_path, kept_path, bytes FROM quarantine ORDER BY id').all() as {
      reason: string;
      source_path: string;
      kept_path: string | null;
      bytes: number;
    }[];
    const reasonOf = (path: string) => rows.filter((r) => r.source_path === path).map((r) => r.reason);
    assert.deepEqual(reasonOf(join(llvm, '1_0.profraw')), ['truncated']);
    assert.deepEqual(reasonOf(join(llvm, '2_0.profraw')), ['corrupt']);
    assert.deepEqual(reasonOf(join(llvm, '3_0.profraw')), ['format-version']);
    assert.deepEqual(reasonOf(join(llvm, '4_0.profraw')), ['unknown-binary-id']);
    assert.deepEqual(reasonOf(join(llvm, '5_0.profraw')), ['wrong-owner']);
    assert.deepEqual(reasonOf(join(llvm, 'notes.txt')), ['odd-name']);
    assert.deepEqual(reasonOf(join(llvm, '6_0.profraw')), ['too-large']);
    assert.deepEqual(reasonOf(join(llvm, '7_0.profraw')), ['hard-link']);
    assert.deepEqual(reasonOf(join(llvm, '8_0.profraw')), ['not-regular']);
    assert.deepEqual(reasonOf(join(llvm, '9_0.profraw')), ['symlink']);
    assert.equal(rows.filter((r) => r.reason === 'merge-failed').length, 1);
    assert.deepEqual(reasonOf(join(gcda, 'nobody-knows-1.0', 'a.gcda')), ['unknown-package']);
    assert.deepEqual(reasonOf(join(pkgDir, 'v13.gcda')), ['format-version']);
    assert.deepEqual(reasonOf(join(pkgDir, 'cut.gcda')), ['truncated']);
    assert.deepEqual(reasonOf(foreignDir), ['wrong-owner']);

    // The secret was neither read nor changed; only the link left the spool.
    assert.equal(readFileSync(secret, 'utf8'), 'root only');
    for (const r of rows) {
      if (r.kept_path && lstatSync(r.kept_path).isFile()) assert.ok(!readFileSync(r.kept_path).includes(Buffer.from('root only')));
    }
    assert.equal(existsSync(join(llvm, '9_0.profraw')), false);
    // The foreign user's file is untouched, the hard link's other name still holds its data.
    assert.equal(readFileSync(join(foreignDir, 'llvm', '1_0.profraw')).length, sample.length);
    assert.equal(readFileSync(join(root, 'hardlink-elsewhere')).length, sample.length);

    // The good profiles of both packages were merged, and a second pass adds no new rows.
    const merged = new Set(report.merged.map((m) => m.package));
    assert.ok(merged.has(clang.name) && merged.has(gcc.name), `merged: ${[...merged].join(', ')}`);
    await engine.runOnce();
    const again = (db.prepare('SELECT COUNT(*) AS n FROM quarantine').get() as { n: number }).n;
    assert.equal(again, rows.length);
    db.close();
  } finally {
    engine.close();
  }
});

test('spool and quarantine disk caps are reported in the status', async () => {
  const root = tempDir('caps');
  const clang = await buildClangExample(root, 'caps');
  const locations = stateLayout(join(root, 'state'));
  await runExample(clang, locations.spoolDir);
  const llvm = join(locations.spoolDir, String(process.getuid!()), 'llvm');
  copyFileSync(join(llvm, readdirSync(llvm)[0]!), join(llvm, 'junk.txt'));
  const engine = openTestCollector({
    layout: locations,
    packages: [{ name: clang.name, manifestPath: clang.manifestPath }],
    limits: { spoolCapBytes: 100, quarantineCapBytes: 10 },
  });
  try {
    const before = engine.status();
    assert.equal(before.spool.full, false, 'nothing scanned yet');
    const report = await engine.runOnce();
    assert.equal(report.status.spool.full, true);
    assert.equal(report.status.quarantine.full, true);
    const db = openDatabase(locations.database);
    const row = db.prepare("SELECT kept_path FROM quarantine WHERE reason = 'odd-name'").get() as { kept_path: string | null };
    assert.equal(row.kept_path, null, 'nothing is kept beyond the quarantine cap');
    db.close();
  } finally {
    engine.close();
  }
});

function namesOffset(buf: Buffer): { offset: number; size: number } {
  const f = (i: number) => Number(buf.readBigUInt64LE(i * 8));
  return { offset: 88 + f(2) + f(3) * 48 + f(4) + f(5) * 8 + f(6), size: f(7) };
}
