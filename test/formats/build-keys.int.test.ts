/**
 * The keys an instrumented build carries, read from real binaries: clang 15 and 16 (the keys
 * llvm-profdata names the same functions by after a run) and GCC 12 (the checksums its gcda
 * files record after a run), and what a change of code or flags does to them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listGcovBuildKeys, listLlvmBuildKeys, llvmFunctionKey } from '../../src/formats/build-keys.js';
import { readElf } from '../../src/formats/elf.js';
import { parseGcda } from '../../src/formats/gcda-file.js';
import { run } from '../../src/process/run.js';
import { listTreeFiles } from '../../src/merge/gcda-tree.js';
import { readFunctionCounts } from '../support/profile-counts.js';
import { makeTempDir } from '../support/nix.js';

const SOURCE = `
#include <stdio.h>
#include <stdlib.h>
static long step(long x) { return x % 2 ? 3 * x + 1 : x / 2; }
static long steps(long x) { long n = 0; while (x != 1) { x = step(x); n++; } return n; }
int main(int argc, char **argv) {
  long best = 0, limit = argc > 1 ? atol(argv[1]) : 1000;
  for (long i = 1; i < limit; i++) { long n = steps(i); if (n > best) best = n; }
  printf("%ld\\n", best);
  return 0;
}
`;

const dir = makeTempDir('build-keys');
writeFileSync(join(dir, 'prog.c'), SOURCE);
// A change of one function's code: steps() counts differently (in a file of the same name, which names static functions).
mkdirSync(join(dir, 'changed'));
writeFileSync(join(dir, 'changed', 'prog.c'), SOURCE.replace('n++; }', 'n += 1; if (n > 1000000) break; }'));

async function keysOf(binary: string): Promise<string[] | null> {
  return listLlvmBuildKeys(readElf(readFileSync(binary))!);
}

describe('listLlvmBuildKeys', () => {
  for (const version of ['15', '16']) {
    it(`reads the keys llvm-profdata ${version} names the functions of a run by`, async () => {
      const binary = join(dir, `prog-${version}`);
      await run(`clang-${version}`, ['-O2', '-fprofile-generate', '-fno-inline', '-o', binary, 'prog.c'], { cwd: dir });
      const raw = join(dir, `run-${version}.profraw`);
      await run(binary, ['200'], { env: { ...process.env, LLVM_PROFILE_FILE: raw } });
      const indexed = join(dir, `run-${version}.profdata`);
      await run(`/usr/lib/llvm-${version}/bin/llvm-profdata`, ['merge', '-o', indexed, raw]);
      const functions = await readFunctionCounts(`/usr/lib/llvm-${version}/bin/llvm-profdata`, indexed);
      const keys = await keysOf(binary);
      assert.ok(keys !== null);
      assert.deepEqual(functions.map((f) => llvmFunctionKey(f.name, BigInt(f.hash))).sort(), [...keys].sort());
      assert.equal(keys.length, 3, 'main, steps and step');
    });
  }

  it('gives a changed function another key and keeps the others', async () => {
    const before = await keysOf(join(dir, 'prog-16'));
    const changed = join(dir, 'changed-16');
    await run('clang-16', ['-O2', '-fprofile-generate', '-fno-inline', '-o', changed, 'prog.c'], {
      cwd: join(dir, 'changed'),
    });
    const after = await keysOf(changed);
    const kept = before!.filter((k) => after!.includes(k));
    assert.equal(kept.length, 2);
    // The same name (its MD5, the part before ":") with another hash.
    const gone = before!.find((k) => !after!.includes(k))!;
    assert.ok(after!.some((k) => k.split(':')[0] === gone.split(':')[0] && k !== gone));
  });

  it('finds nothing in a build without instrumentation', async () => {
    const plain = join(dir, 'plain');
    await run('clang-16', ['-O2', '-o', plain, join(dir, 'prog.c')]);
    assert.equal(await keysOf(plain), null);
  });
});

describe('listGcovBuildKeys', () => {
  it('reads the ident and checksums GCC writes into the gcda files of a run', async () => {
    const gcdaDir = join(dir, 'gcda');
    const binary = join(dir, 'prog-gcc');
    await run('gcc-12', ['-O2', `-fprofile-generate=${gcdaDir}`, '-o', binary, join(dir, 'prog.c')]);
    await run(binary, ['200']);
    const fromRun: string[] = [];
    for (const rel of listTreeFiles(gcdaDir)) {
      const parsed = parseGcda(readFileSync(join(gcdaDir, rel)));
      assert.ok(parsed.ok);
      for (const f of parsed.file.functions) fromRun.push(`${rel}:${f.ident}:${f.linenoChecksum}:${f.cfgChecksum}`);
    }
    const keys = listGcovBuildKeys(readElf(readFileSync(binary))!, gcdaDir);
    assert.ok(keys !== null && keys.length > 0);
    assert.deepEqual([...keys].sort(), fromRun.sort());
    // Another build directory: none of its units are below it.
    assert.equal(listGcovBuildKeys(readElf(readFileSync(binary))!, join(dir, 'elsewhere')), null);
    assert.ok(readdirSync(gcdaDir).length > 0);
  });
});
