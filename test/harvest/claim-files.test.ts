/** Whose a spool file is: ours to take, or another user's or daemon's, left alone; decided before reading. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildAttribution, type ManagedPackage } from '../../src/harvest/attribution.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimByHeader, claimByName, claimFiles } from '../../src/harvest/claim-files.js';
import type { ProfileManifest } from '../../src/formats/manifest.js';
import type { SpoolFile } from '../../src/spool/scan.js';
import { makeRawProfile } from '../support/raw-profile-builder.js';

function pkg(name: string, toolchain: ProfileManifest['toolchain'], ids: string[], trusted: number[]): ManagedPackage {
  const manifest: ProfileManifest = {
    name: `${name}-1`,
    pname: name,
    version: '1',
    outPath: `/nix/store/x-${name}`,
    toolchain,
    compilerVersion: '16.0.6',
    mergeTool: '/bin/true',
    defaultProfileDir: '/tmp/nix-pgo',
    gcdaDir: toolchain === 'gcc' ? '/tmp/nix-pgo/gcda/g' : null,
    boltDir: toolchain === 'bolt' ? '/tmp/nix-pgo/bolt' : null,
    dumpInterval: null,
    binaries: ids.map((buildId) => ({ output: 'out', path: 'bin/x', buildId })),
  };
  return { name, manifest, trust: { anyone: false, uids: new Set(trusted) } };
}

const attribution = buildAttribution([
  pkg('c', 'clang', ['aa'.repeat(20)], [1000]),
  pkg('b', 'bolt', ['bb'.repeat(20)], [1000]),
  pkg('g', 'gcc', [], [1000]),
  pkg('other', 'clang', ['dd'.repeat(20)], [2000]),
]);
const file = (format: SpoolFile['format'], uid: number, extra: Partial<SpoolFile> = {}): SpoolFile => ({
  path: '/s/x',
  uid,
  format,
  size: 10,
  mtimeMs: 0,
  ...extra,
});

test("by name: an untrusted user is not read at all; a build or directory no package has is another daemon's", () => {
  assert.deepEqual(claimByName(file('llvm', 3000), attribution), { ours: false, why: 'untrusted' });
  assert.deepEqual(claimByName(file('llvm', 1000), attribution), { ours: 'read-header' });
  const fdata = (id: string, uid: number) => file('fdata', uid, { fdata: { buildId: id, pid: 7 } });
  assert.deepEqual(claimByName(fdata('bb'.repeat(20), 1000), attribution), { ours: true, package: 'b' });
  assert.deepEqual(claimByName(fdata('cc'.repeat(20), 1000), attribution), { ours: false, why: 'unknown-build' });
  assert.deepEqual(claimByName(fdata('bb'.repeat(20), 2000), attribution), { ours: false, why: 'untrusted' });
  const gcda = (path: string) => file('gcda', 1000, { gcdaPath: path });
  assert.deepEqual(claimByName(gcda('tmp/nix-pgo/gcda/g/a.gcda'), attribution), { ours: true, package: 'g' });
  assert.deepEqual(claimByName(gcda('tmp/elsewhere/a.gcda'), attribution), { ours: false, why: 'unknown-build' });
});

test("by header: a raw profile's build ids decide; what cannot be read as one is ours to report", () => {
  const raw = (hex: string) => makeRawProfile({ id: Buffer.from(hex, 'hex') });
  assert.deepEqual(claimByHeader(file('llvm', 1000), raw('aa'.repeat(20)), attribution), { ours: true, package: 'c' });
  assert.deepEqual(claimByHeader(file('llvm', 1000), raw('cc'.repeat(20)), attribution), {
    ours: false,
    why: 'unknown-build',
  });
  assert.deepEqual(claimByHeader(file('llvm', 2000), raw('aa'.repeat(20)), attribution), {
    ours: false,
    why: 'untrusted',
  });
  assert.deepEqual(claimByHeader(file('llvm', 1000), Buffer.from('garbage'), attribution), {
    ours: true,
    package: null,
  });
  assert.deepEqual(claimByHeader(file('llvm', 1000), Buffer.alloc(0), attribution), { ours: true, package: null });
});

test('files of ours come grouped by package, in the order scanned within one; files of others are left alone', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nix-pgo-claim-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const me = process.getuid?.() ?? 0;
  const mine = buildAttribution([
    pkg('x', 'clang', ['aa'.repeat(20)], [me]),
    pkg('y', 'clang', ['bb'.repeat(20)], [me]),
  ]);
  // Interleaved as processes of two programs write them; `z` is another daemon's build.
  const ids = ['aa', 'bb', 'aa', 'cc', 'bb', 'aa'];
  const files = ids.map((id, i): SpoolFile => {
    const path = join(dir, `${i}.profraw`);
    writeFileSync(path, makeRawProfile({ id: Buffer.from(id.repeat(20), 'hex') }));
    return { path, uid: me, format: 'llvm', size: 10, mtimeMs: 0 };
  });
  const claimed = await claimFiles(files, mine);
  assert.deepEqual(
    claimed.ours.map((f) => f.path),
    [0, 2, 5, 1, 4].map((i) => join(dir, `${i}.profraw`)),
  );
  assert.deepEqual(
    claimed.leftAlone.map((f) => f.path),
    [join(dir, '3.profraw')],
  );
});
