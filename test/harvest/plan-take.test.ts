/** Attribution and the plan for one spool file: which bytes go to which package, what is quarantined. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildAttribution, findGcdaOwner, type ManagedPackage } from '../../src/harvest/attribution.js';
import { planTake } from '../../src/harvest/plan-take.js';
import type { ProfileManifest } from '../../src/formats/manifest.js';
import { makeRawProfile } from '../support/raw-profile-builder.js';

function pkg(name: string, ids: string[], gcdaDir: string | null = null): ManagedPackage {
  const manifest: ProfileManifest = {
    name: `${name}-1`,
    pname: name,
    version: '1',
    outPath: `/nix/store/x-${name}`,
    toolchain: gcdaDir ? 'gcc' : 'clang',
    compilerVersion: gcdaDir ? '12.2.0' : '16.0.6',
    mergeTool: '/bin/true',
    defaultProfileDir: '/tmp/nix-pgo',
    gcdaDir,
    boltDir: null,
    dumpInterval: null,
    binaries: ids.map((buildId) => ({ output: 'out', path: 'bin/x', buildId })),
  };
  return { name, manifest, trust: { anyone: false, uids: new Set([0]) } };
}

const rawWithId = (hex: string) => makeRawProfile({ functions: 1, counters: 1, names: 0, id: Buffer.from(hex, 'hex') });

test('raw profiles go to the package whose build id they carry; concatenated ones are split', () => {
  const attribution = buildAttribution([pkg('a', ['aa'.repeat(20)]), pkg('b', ['bb'.repeat(20)])]);
  const a = rawWithId('aa'.repeat(20));
  const b = rawWithId('bb'.repeat(20));
  const stranger = rawWithId('cc'.repeat(20));
  const plan = planTake(
    { path: '/s/llvm/x.profraw', uid: 0, format: 'llvm', size: 0, mtimeMs: 0 },
    Buffer.concat([a, b, stranger, a]),
    attribution,
  );
  assert.deepEqual(
    plan.pieces.map((p) => [p.package, p.bytes.length]),
    [
      ['a', a.length * 2],
      ['b', b.length],
    ],
  );
  assert.deepEqual(
    plan.quarantine.map((q) => q.reason),
    ['unknown-binary-id'],
  );
});

test('a build id claimed by two packages is a reported conflict, not a silent choice', () => {
  const attribution = buildAttribution([pkg('a', ['aa']), pkg('b', ['aa'])]);
  assert.equal(attribution.byBuildId.get('aa'), 'a');
  assert.equal(attribution.conflicts.length, 1);
});

const gcdaHeader = (version: number) => {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(0x67636461, 0);
  b.writeUInt32LE(version, 4);
  return b;
};
const gcdaFile = (gcdaPath: string, uid = 0) => ({
  path: `/s/gcda/${uid}/${gcdaPath}`,
  uid,
  format: 'gcda' as const,
  size: 0,
  mtimeMs: 0,
  gcdaPath,
});

test('gcda files are attributed by the directory their build baked in and checked for the compiler version', () => {
  const attribution = buildAttribution([pkg('g', [], '/tmp/nix-pgo/gcda/abc-g-1')]);
  const good = planTake(gcdaFile('tmp/nix-pgo/gcda/abc-g-1/src/x.gcda'), gcdaHeader(0x4232322a), attribution);
  assert.deepEqual(
    good.pieces.map((p) => [p.package, p.relPath, p.runs]),
    [['g', 'src/x.gcda', { 'src/x.gcda': 0 }]],
  );
  assert.equal(
    planTake(gcdaFile('tmp/nix-pgo/gcda/abc-g-1/x.gcda'), gcdaHeader(0x4233302a), attribution).quarantine[0]!.reason,
    'format-version',
  );
  assert.equal(
    planTake(gcdaFile('tmp/nix-pgo/gcda/other/x.gcda'), gcdaHeader(0x4232322a), attribution).quarantine[0]!.reason,
    'unknown-package',
  );
});

test('a baked directory of any depth is found, and one package directory is not taken for another with a longer name', () => {
  const attribution = buildAttribution([
    pkg('deep', [], '/var/lib/profiles/pgo/gcda/h1-deep-1'),
    pkg('short', [], '/p/h2-s'),
  ]);
  assert.deepEqual(findGcdaOwner(attribution, 'var/lib/profiles/pgo/gcda/h1-deep-1/a/b.gcda'), {
    package: 'deep',
    relPath: 'a/b.gcda',
  });
  assert.deepEqual(findGcdaOwner(attribution, 'p/h2-s/b.gcda'), { package: 'short', relPath: 'b.gcda' });
  assert.equal(findGcdaOwner(attribution, 'p/h2-s-longer/b.gcda'), null);
  assert.equal(findGcdaOwner(attribution, 'p/h2-s'), null);
});

test('data from a user the package does not trust is quarantined with that reason; a trusted one counts runs per binary', () => {
  const attribution = buildAttribution([pkg('a', ['aa'.repeat(20), 'ab'.repeat(20)])]);
  const exe = rawWithId('aa'.repeat(20));
  const lib = rawWithId('ab'.repeat(20));
  const mine = planTake(
    { path: '/s/llvm/1-x.profraw', uid: 0, format: 'llvm', size: 0, mtimeMs: 0 },
    Buffer.concat([exe, lib, exe]),
    attribution,
  );
  assert.deepEqual(
    mine.pieces.map((p) => p.runs),
    [{ ['aa'.repeat(20)]: 2, ['ab'.repeat(20)]: 1 }],
  );
  assert.equal(mine.pieces[0]!.mass, 15, 'three profiles whose one counter is 5');
  const theirs = planTake(
    { path: '/s/llvm/2-x.profraw', uid: 1234, format: 'llvm', size: 0, mtimeMs: 0 },
    exe,
    attribution,
  );
  assert.deepEqual(theirs.pieces, []);
  assert.deepEqual(
    theirs.quarantine.map((q) => [q.reason, q.package]),
    [['untrusted-contributor', 'a']],
  );
  const anyone = buildAttribution([{ ...pkg('a', ['aa'.repeat(20)]), trust: { anyone: true } }]);
  assert.equal(
    planTake({ path: '/s/llvm/3-x.profraw', uid: 1234, format: 'llvm', size: 0, mtimeMs: 0 }, exe, anyone).pieces
      .length,
    1,
  );
  const gcc = buildAttribution([pkg('g', [], '/tmp/nix-pgo/gcda/abc-g-1')]);
  assert.equal(
    planTake(gcdaFile('tmp/nix-pgo/gcda/abc-g-1/x.gcda', 1234), gcdaHeader(0x4232322a), gcc).quarantine[0]!.reason,
    'untrusted-contributor',
  );
});
