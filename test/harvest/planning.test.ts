/** Pure planning: attribution of profiles, gcda merge layers, overlap, crash-recovery verdicts, names, env. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildAttribution, type ManagedPackage } from '../../src/harvest/attribution.js';
import { planTake } from '../../src/harvest/plan-take.js';
import { judgeTake } from '../../src/harvest/recover-harvests.js';
import { RAW_MAGIC_64 } from '../../src/formats/raw-profile.js';
import { countOverlap, generationName, packageDirName, planGcdaLayers } from '../../src/merge/plan-merge.js';
import { defaultStateDir, locationsFor, spoolEnvironment } from '../../src/state/state-layout.js';
import { isGcdaName, isProfrawName } from '../../src/spool/scan.js';
import type { StagedRecord } from '../../src/state/harvest-journal.js';
import { parseTextProfile } from '../../src/tools/llvm-profdata.js';
import type { ProfileManifest } from '../../src/formats/manifest.js';

function rawWithId(idHex: string): Buffer {
  const id = Buffer.from(idHex, 'hex');
  const ids = Buffer.alloc(8 + id.length + ((8 - (id.length % 8)) % 8));
  ids.writeBigUInt64LE(BigInt(id.length), 0);
  id.copy(ids, 8);
  const header = Buffer.alloc(88);
  [RAW_MAGIC_64, (1n << 56n) | 8n, BigInt(ids.length), 1n, 0n, 1n, 0n, 0n, 0n, 0n, 1n].forEach((v, i) => header.writeBigUInt64LE(v, i * 8));
  return Buffer.concat([header, ids, Buffer.alloc(48), Buffer.alloc(8)]);
}

function pkg(name: string, ids: string[], gcdaDir: string | null = null): ManagedPackage {
  const manifest: ProfileManifest = {
    name: `${name}-1`, pname: name, version: '1', outPath: `/nix/store/x-${name}`, toolchain: gcdaDir ? 'gcc' : 'clang', compilerVersion: gcdaDir ? '12.2.0' : '16.0.6',
    mergeTool: '/bin/true', defaultProfileDir: '/tmp/nix-pgo', gcdaDir, binaries: ids.map((buildId) => ({ output: 'out', path: 'bin/x', buildId })),
  };
  return { name, manifest };
}

test('raw profiles go to the package whose build id they carry; concatenated ones are split', () => {
  const attribution = buildAttribution([pkg('a', ['aa'.repeat(20)]), pkg('b', ['bb'.repeat(20)])]);
  const a = rawWithId('aa'.repeat(20));
  const b = rawWithId('bb'.repeat(20));
  const stranger = rawWithId('cc'.repeat(20));
  const plan = planTake({ path: '/s/0/llvm/x.profraw', uid: 0, format: 'llvm', size: 0 }, Buffer.concat([a, b, stranger, a]), attribution);
  assert.deepEqual(plan.pieces.map((p) => [p.package, p.bytes.length]), [['a', a.length * 2], ['b', b.length]]);
  assert.deepEqual(plan.quarantine.map((q) => q.reason), ['unknown-binary-id']);
});

test('a build id claimed by two packages is a reported conflict, not a silent choice', () => {
  const attribution = buildAttribution([pkg('a', ['aa']), pkg('b', ['aa'])]);
  assert.equal(attribution.byBuildId.get('aa'), 'a');
  assert.equal(attribution.conflicts.length, 1);
});

test('gcda files are attributed by their package directory and checked for the compiler version', () => {
  const attribution = buildAttribution([pkg('g', [], '/tmp/nix-pgo/gcda/abc-g-1')]);
  const file = (gcdaId: string) => ({ path: `/s/0/gcda/${gcdaId}/x.gcda`, uid: 0, format: 'gcda' as const, size: 0, gcdaId, relPath: 'x.gcda' });
  const header = (version: number) => {
    const b = Buffer.alloc(16);
    b.writeUInt32LE(0x67636461, 0);
    b.writeUInt32LE(version, 4);
    return b;
  };
  assert.deepEqual(planTake(file('abc-g-1'), header(0x4232322a), attribution).pieces.map((p) => p.package), ['g']);
  assert.equal(planTake(file('abc-g-1'), header(0x4233302a), attribution).quarantine[0]!.reason, 'format-version');
  assert.equal(planTake(file('other'), header(0x4232322a), attribution).quarantine[0]!.reason, 'unknown-package');
});

test('gcda merge layers never hold one relative path twice', () => {
  const staged = (id: number, relPath: string): StagedRecord => ({ id, package: 'g', kind: 'gcda', path: `/st/${id}`, relPath, bytes: 1, files: 1 });
  const layers = planGcdaLayers([staged(1, 'a.gcda'), staged(2, 'b.gcda'), staged(3, 'a.gcda'), staged(4, 'a.gcda')]);
  assert.deepEqual(layers.map((l) => l.map((s) => s.id)), [[1, 2], [3], [4]]);
});

test('overlap is 1 for proportional profiles and lower when the shape moves', () => {
  const m = (entries: [string, bigint][]) => new Map(entries);
  assert.equal(countOverlap(m([['x', 1n], ['y', 3n]]), m([['x', 2n], ['y', 6n]])), 1);
  assert.equal(countOverlap(m([['x', 1n], ['y', 1n]]), m([['x', 1n], ['z', 1n]])), 0.5);
  assert.equal(countOverlap(m([['x', 0n]]), m([['x', 1n]])), null);
});

test('recovery verdicts: unchanged → truncate now, empty or replaced → keep, changed → exclude', () => {
  const take = { sourcePath: '/s', uid: 0, dev: '1', ino: '2', size: 10, sha256: 'h', pieces: [] };
  assert.equal(judgeTake(take, { sameFile: true, size: 10, sha256: 'h' }), 'truncate-now');
  assert.equal(judgeTake(take, { sameFile: true, size: 0, sha256: 'e' }), 'keep');
  assert.equal(judgeTake(take, { sameFile: false, size: 10, sha256: 'h' }), 'keep');
  assert.equal(judgeTake(take, { sameFile: true, size: 10, sha256: 'other' }), 'exclude');
});

test('spool names, generation names and package directories', () => {
  assert.ok(isProfrawName('15853201384554121347_0.profraw'));
  assert.ok(!isProfrawName('.hidden.profraw'));
  assert.ok(!isProfrawName('notes.txt'));
  assert.ok(!isProfrawName('a\nb.profraw'));
  assert.ok(isGcdaName('#build#src#main.gcda'));
  assert.ok(!isGcdaName('x..gcda'));
  assert.equal(generationName(3, 'clang'), 'gen-3.profdata');
  assert.equal(generationName(3, 'gcc'), 'gen-3.gcda.d');
  assert.equal(packageDirName('../etc/x y'), '__etc_x_y');
});

test('locations follow XDG_STATE_HOME, then HOME; the env vars point into the user\'s spool', () => {
  assert.equal(defaultStateDir({ XDG_STATE_HOME: '/x/state', HOME: '/home/u' }), '/x/state/nix-pgo');
  assert.equal(defaultStateDir({ HOME: '/home/u' }), '/home/u/.local/state/nix-pgo');
  assert.throws(() => defaultStateDir({}));
  const loc = locationsFor('/st');
  assert.equal(loc.spoolDir, '/st/spool');
  assert.equal(loc.database, '/st/state.sqlite');
  assert.deepEqual(spoolEnvironment('/sp', 1000), {
    LLVM_PROFILE_FILE: '/sp/1000/llvm/%m.profraw',
    GCOV_PREFIX: '/sp/1000/gcda',
    GCOV_PREFIX_STRIP: '3',
  });
});

test('text profiles: counters read, value data skipped', () => {
  const text = [':ir', 'main', '# Func Hash:', '12', '# Num Counters:', '2', '# Counter Values:', '40', '1', '# Num Value Kinds:', '1', 'x:20', '', 'f', '# Func Hash:', '7', '# Num Counters:', '1', '# Counter Values:', '0', ''].join('\n');
  assert.deepEqual(parseTextProfile(text), [
    { name: 'main', hash: '12', counters: [40n, 1n] },
    { name: 'f', hash: '7', counters: [0n] },
  ]);
});
