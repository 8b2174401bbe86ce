/** The profiling-build manifest parser: normal form, and every problem reported at once. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifest } from '../../src/formats/manifest.js';
import { InputError } from '../../src/errors/errors.js';

const CLANG = {
  nixPgo: 1,
  kind: 'profile',
  name: 'hello-1.0',
  pname: 'hello',
  version: '1.0',
  outPath: '/nix/store/abc-hello-1.0',
  toolchain: 'clang',
  compilerVersion: '16.0.6',
  mergeTool: '/nix/store/x-llvm/bin/llvm-profdata',
  defaultProfileDir: '/tmp/nix-pgo',
  gcdaDir: null,
  binaries: [{ output: 'out', path: 'bin/hello', buildId: 'ABCDEF0123' }],
};

test('a clang manifest parses, build ids lower-cased', () => {
  const m = parseManifest(JSON.stringify(CLANG), 'pgo.json');
  assert.equal(m.toolchain, 'clang');
  assert.equal(m.gcdaDir, null);
  assert.deepEqual(m.binaries, [{ output: 'out', path: 'bin/hello', buildId: 'abcdef0123' }]);
});

test('a gcc manifest needs an absolute gcdaDir', () => {
  const gcc = {
    ...CLANG,
    toolchain: 'gcc',
    mergeTool: '/usr/bin/gcov-tool-12',
    gcdaDir: '/tmp/nix-pgo/gcda/abc-hello-1.0',
  };
  assert.equal(parseManifest(JSON.stringify(gcc), 'pgo.json').gcdaDir, '/tmp/nix-pgo/gcda/abc-hello-1.0');
  assert.throws(
    () => parseManifest(JSON.stringify({ ...gcc, gcdaDir: 'relative' }), 'pgo.json'),
    /invalid profiling manifest/,
  );
});

test('every problem is listed in one InputError naming the file', () => {
  const bad = {
    ...CLANG,
    nixPgo: 2,
    kind: 'optimized',
    name: '',
    toolchain: 'icc',
    binaries: [{ output: 'out', path: '/abs', buildId: 'xyz' }],
  };
  try {
    parseManifest(JSON.stringify(bad), '/store/pgo.json');
    assert.fail('no error');
  } catch (error) {
    assert.ok(error instanceof InputError);
    assert.match(error.message, /\/store\/pgo\.json/);
    assert.equal(error.hints.length, 6, error.hints.join('\n'));
  }
});

test('not JSON, or not an object, is an InputError', () => {
  assert.throws(
    () => parseManifest('{', 'a.json'),
    (e: unknown) => e instanceof InputError && /a\.json/.test(e.message),
  );
  assert.throws(() => parseManifest('[]', 'a.json'), InputError);
});

const BOLT = {
  nixPgo: 1,
  kind: 'bolt-profile',
  name: 'calc-1.0',
  pname: 'calc',
  version: '1.0',
  outPath: '/nix/store/abc-calc-1.0',
  toolchain: 'clang',
  compilerVersion: '16',
  mergeTool: '/nix/store/x-bolt/bin/merge-fdata',
  boltDir: '/var/spool/nix-pgo/bolt',
  binaries: [
    {
      output: 'out',
      path: 'bin/calc',
      buildId: 'aa'.repeat(20),
      inputBuildId: 'ab'.repeat(20),
      outcome: 'instrumented',
      reason: null,
    },
    {
      output: 'out',
      path: 'lib/libcalc.so',
      buildId: 'cc'.repeat(20),
      inputBuildId: 'cd'.repeat(20),
      outcome: 'fallback',
      reason: 'llvm-bolt refused it',
    },
  ],
};

test("a BOLT-instrumented manifest: its data is BOLT's, named by the input build ids of the files it instrumented", () => {
  const m = parseManifest(JSON.stringify(BOLT), 'pgo.json');
  assert.equal(m.toolchain, 'bolt');
  assert.equal(m.boltDir, '/var/spool/nix-pgo/bolt');
  assert.deepEqual(m.binaries, [{ output: 'out', path: 'bin/calc', buildId: 'ab'.repeat(20) }]);
});

test('a BOLT manifest with a relative directory and a bad build id lists both problems', () => {
  const bad = { ...BOLT, boltDir: 'bolt', binaries: [{ ...BOLT.binaries[0], inputBuildId: 'XYZ' }] };
  assert.throws(
    () => parseManifest(JSON.stringify(bad), 'pgo.json'),
    (error: InputError) =>
      error.hints.includes('boltDir must be an absolute directory path') &&
      error.hints.some((h) => /inputBuildId/.test(h)),
  );
});

test('reads older manifests without the optional members of the schema, and ignores members it does not know', () => {
  const { gcdaDir: _gcdaDir, ...older } = CLANG;
  assert.equal(parseManifest(JSON.stringify(older), 'pgo.json').toolchain, 'clang');
  const newer = { ...CLANG, futureMember: { any: 'thing' }, binaries: [{ ...CLANG.binaries[0], size: 3 }] };
  assert.deepEqual(parseManifest(JSON.stringify(newer), 'pgo.json').binaries, [
    { output: 'out', path: 'bin/hello', buildId: 'abcdef0123' },
  ]);
});

test('names each wrong member with what the schema says it must be', () => {
  const bad = { ...CLANG, collection: 'sometimes', binaries: 'bin/hello' };
  assert.throws(
    () => parseManifest(JSON.stringify(bad), 'pgo.json'),
    (error: InputError) => {
      assert.deepEqual(error.hints, [
        'collection must be "exit" or "continuous"',
        'binaries must be a list of objects',
      ]);
      return true;
    },
  );
});
