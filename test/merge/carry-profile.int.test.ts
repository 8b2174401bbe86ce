/**
 * The profile at the end of a refresh window, with the real tools: the fresh data plus the part of
 * the old profile the new build still has, both weighing the same on the functions they share.
 * Also each format's records and build keys, on real clang 16 and GCC 12 builds.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { llvmFunctionKey } from '../../src/formats/build-keys.js';
import type { ProfileManifest } from '../../src/formats/manifest.js';
import { combineWithCarried } from '../../src/merge/carry-profile.js';
import { summarizeGcdaTree } from '../../src/merge/gcda-tree.js';
import { measureMatch } from '../../src/merge/measure-match.js';
import { profileFormat } from '../../src/merge/profile-formats.js';
import { run } from '../../src/process/run.js';
import { readFunctionCounts } from '../support/profile-counts.js';
import { makeTempDir } from '../support/nix.js';

const LLVM_PROFDATA = '/usr/lib/llvm-16/bin/llvm-profdata';
const GCOV_TOOL = '/usr/bin/gcov-tool-12';
const SOURCE = `
#include <stdio.h>
#include <stdlib.h>
static long step(long x) { return x % 2 ? 3 * x + 1 : x / 2; }
static long steps(long x) { long n = 0; while (x != 1) { x = step(x); n++; } return n; }
int main(int argc, char **argv) {
  long best = 0, limit = atol(argv[1]);
  for (long i = 1; i < limit; i++) { long n = steps(i); if (n > best) best = n; }
  printf("%ld\\n", best);
  return 0;
}
`;
const dir = makeTempDir('carry');
/** Version 1, and version 2 whose steps() changed, each in a directory of its own under the same file name. */
for (const [version, source] of [
  ['v1', SOURCE],
  ['v2', SOURCE.replace('n++; }', 'n += 1; if (n > 1000000) break; }')],
] as const) {
  mkdirSync(join(dir, version));
  writeFileSync(join(dir, version, 'prog.c'), source);
}

const manifest = (toolchain: 'clang' | 'gcc', gcdaDir: string | null): ProfileManifest => ({
  name: 'prog',
  pname: 'prog',
  version: '1',
  outPath: dir,
  toolchain,
  compilerVersion: toolchain === 'clang' ? '16' : '12',
  mergeTool: toolchain === 'clang' ? LLVM_PROFDATA : GCOV_TOOL,
  defaultProfileDir: dir,
  gcdaDir,
  boltDir: null,
  dumpInterval: null,
  binaries: [],
});

describe('clang: a refresh of a changed function', () => {
  it('keeps the old profile only where the new build has the function unchanged, weighed to the fresh data', async () => {
    const profile = async (version: string, runs: string, name: string) => {
      const out = join(dir, version, 'bin');
      mkdirSync(out, { recursive: true });
      await run('clang-16', ['-O2', '-fprofile-generate', '-fno-inline', '-o', join(out, 'prog'), 'prog.c'], {
        cwd: join(dir, version),
      });
      const raw = join(dir, `${name}.profraw`);
      await run(join(out, 'prog'), [runs], { env: { ...process.env, LLVM_PROFILE_FILE: raw } });
      const indexed = join(dir, `${name}.profdata`);
      await run(LLVM_PROFDATA, ['merge', '-o', indexed, raw]);
      return indexed;
    };
    const old = await profile('v1', '3000', 'old');
    const fresh = await profile('v2', '300', 'fresh');
    const clang = profileFormat('clang');
    const keys = clang.listBuildKeys(manifest('clang', null), [join(dir, 'v2', 'bin')])!;
    assert.equal(keys.length, 3);

    const match = measureMatch(await clang.listRecords(LLVM_PROFDATA, old), keys);
    assert.deepEqual([match.functions, match.matched, match.changed], [3, 2, 1]);
    assert.ok(match.share < 1 && match.share > 0);

    const target = join(dir, 'combined.profdata');
    const report = await combineWithCarried('clang', LLVM_PROFDATA, fresh, old, keys, target);
    assert.equal(report.shared, 2);
    assert.ok(report.weights.carried < 0.2 && report.weights.fresh === 1, JSON.stringify(report));

    const counts = async (path: string) =>
      new Map(
        (await readFunctionCounts(LLVM_PROFDATA, path)).map((f) => [
          llvmFunctionKey(f.name, BigInt(f.hash)),
          f.counters,
        ]),
      );
    const [o, f, c] = [await counts(old), await counts(fresh), await counts(target)];
    // Only keys the new build has; the changed function's counts are the fresh ones alone.
    assert.deepEqual([...c.keys()].sort(), [...keys].sort());
    const changed = keys.find((k) => !o.has(k))!;
    assert.deepEqual(c.get(changed), f.get(changed));
    // A shared function: fresh counts plus the old ones scaled by the carried weight.
    const shared = keys.find((k) => o.has(k) && f.has(k))!;
    c.get(shared)!.forEach((value, i) => {
      const expected = Number(f.get(shared)![i]!) + Number(o.get(shared)![i]!) * report.weights.carried;
      assert.ok(Math.abs(Number(value) - expected) <= 1, `${value} vs ${expected}`);
    });
  });
});

describe('gcc: records and build keys', () => {
  it('knows each function of a gcda tree by object, ident and checksums, as the build carries them', async () => {
    const gcdaDir = join(dir, 'gcda');
    const out = join(dir, 'gcc-bin');
    mkdirSync(out);
    await run('gcc-12', ['-O2', `-fprofile-generate=${gcdaDir}`, '-o', join(out, 'prog'), 'prog.c'], {
      cwd: join(dir, 'v1'),
    });
    await run(join(out, 'prog'), ['300']);
    const gcc = profileFormat('gcc');
    const keys = gcc.listBuildKeys(manifest('gcc', gcdaDir), [out])!;
    const records = await gcc.listRecords(GCOV_TOOL, gcdaDir);
    assert.deepEqual(records.map((r) => r.key).sort(), [...keys].sort());
    assert.equal(measureMatch(records, keys).share, 1);
    assert.match(records[0]!.name, /\.gcda|function \d+/);

    // Combined with itself as the carried profile: both weigh the same, so every counter doubles.
    const target = join(dir, 'combined.gcda.d');
    const report = await combineWithCarried('gcc', GCOV_TOOL, gcdaDir, gcdaDir, keys, target);
    assert.deepEqual(report.weights, { fresh: 1, carried: 1 });
    const before = summarizeGcdaTree(gcdaDir).counters;
    const after = summarizeGcdaTree(target).counters;
    for (const [key, value] of before) assert.equal(after.get(key), 2n * value, key);
    assert.ok(readdirSync(target).length > 0);
  });
});
