/** A BOLT-instrumented variant that instrumented nothing must not replace the PGO-optimized one. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProfileManifest } from '../../src/formats/manifest.js';
import { judgeBoltVariant } from '../../src/lifecycle/judge-bolt-variant.js';

const manifest = (binaries: ProfileManifest['binaries']): ProfileManifest => ({
  name: 'calc',
  pname: 'calc',
  version: '1',
  outPath: '/nix/store/x-calc',
  toolchain: 'bolt',
  compilerVersion: '16',
  mergeTool: '/bin/merge-fdata',
  defaultProfileDir: '/tmp/bolt',
  gcdaDir: null,
  boltDir: '/tmp/bolt',
  dumpInterval: null,
  binaries,
});

test('a variant that instrumented a file may become active', () => {
  const binaries = [{ output: 'out', path: 'bin/calc', buildId: 'ab'.repeat(10) }];
  assert.equal(
    judgeBoltVariant(manifest(binaries), [{ path: 'bin/calc', outcome: 'instrumented', reason: null }]),
    null,
  );
});

test('one that instrumented nothing may not, and says why of each file', () => {
  assert.equal(
    judgeBoltVariant(manifest([]), [
      { path: 'bin/calc', outcome: 'fallback', reason: 'no relocations (link with --emit-relocs)' },
      { path: 'lib/libm.so', outcome: 'fallback', reason: null },
    ]),
    'BOLT instrumented none of its files (bin/calc: no relocations (link with --emit-relocs); lib/libm.so: no reason given)',
  );
  assert.equal(judgeBoltVariant(manifest([]), []), 'BOLT instrumented none of its files');
});
