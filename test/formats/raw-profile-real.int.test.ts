/**
 * The TypeScript raw profile reader agrees with llvm-profdata on real
 * profiles from the example programs: binary IDs, one profile per %m file,
 * and concatenated profiles split at the right places.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRawProfile } from '../../src/formats/raw-profile.js';
import { sumTextProfileCounters } from '../../src/merge/text-profile.js';
import { run } from '../../src/process/run.js';
import { buildClangExample, LLVM_PROFDATA, runExample, scanTestSpool, tempDir } from '../support/spool-fixture.js';

async function llvmBinaryIds(file: string): Promise<string[]> {
  const { stdout } = await run(LLVM_PROFDATA, ['show', '--binary-ids', file]);
  const after = stdout.split('Binary IDs:')[1] ?? '';
  return after
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[0-9a-f]+$/.test(l));
}

test('binary ids and lengths match llvm-profdata on real raw profiles', async () => {
  const root = tempDir('rawreal');
  const example = await buildClangExample(root, 'rawreal');
  const spool = join(root, 'spool');
  await runExample(example, spool);
  await runExample(example, spool);
  const manifest = JSON.parse(readFileSync(example.manifestPath, 'utf8')) as { binaries: { buildId: string }[] };
  const files = scanTestSpool(spool).files.map((f) => f.path);
  assert.equal(files.length, 4, 'per run, one file for the program and one for its library');
  const seen: string[] = [];
  files.sort();
  for (const file of files) {
    const bytes = readFileSync(file);
    const parsed = parseRawProfile(bytes);
    assert.ok(parsed.ok);
    assert.equal(parsed.segments.length, 1, 'one profile per process and binary');
    assert.equal(parsed.segments[0]!.length, bytes.length);
    assert.equal(parsed.segments[0]!.version, 8);
    assert.deepEqual(parsed.segments[0]!.binaryIds, await llvmBinaryIds(file));
    seen.push(...parsed.segments[0]!.binaryIds);
  }
  assert.deepEqual([...new Set(seen)].sort(), manifest.binaries.map((b) => b.buildId).sort());

  // Several profiles in one file (as a runtime without %m appends them) are split where llvm-profdata splits them.
  const both = Buffer.concat(files.map((f) => readFileSync(f)));
  const joined = join(root, 'joined.profraw');
  writeFileSync(joined, both);
  const parsed = parseRawProfile(both);
  assert.ok(parsed.ok);
  assert.deepEqual(
    parsed.segments.map((s) => s.length),
    files.map((f) => readFileSync(f).length),
  );
  const expected: string[] = [];
  for (const f of files) expected.push(...(await llvmBinaryIds(f)));
  assert.deepEqual(
    parsed.segments.flatMap((s) => s.binaryIds),
    expected,
  );
  // llvm-profdata reads the joined file as two profiles too: merging it equals merging the two files.
  const a = await run(LLVM_PROFDATA, ['merge', '--text', '--output', '-', joined]);
  const b = await run(LLVM_PROFDATA, ['merge', '--text', '--output', '-', ...files]);
  assert.equal(a.stdout, b.stdout);
});

test('a real runtime writes two records of one key into one module, and the mass counts both, as llvm-profdata adds both', async () => {
  // Two static functions of the same name in two files both named util.c, each compiled in its own directory:
  // their profile names ("util.c;helper") and structural hashes are equal, so the module has two records of one key.
  const root = tempDir('rawdup');
  const helper = (entry: string) =>
    `static int helper(int x) { return x * 2 + 1; }\nint ${entry}(int x) { return helper(x); }\n`;
  for (const [dir, entry] of [
    ['a', 'a_entry'],
    ['b', 'b_entry'],
  ] as const) {
    await run('mkdir', ['-p', join(root, dir)]);
    writeFileSync(join(root, dir, 'util.c'), helper(entry));
    await run('clang-16', ['-O0', '-fprofile-generate', '-c', 'util.c', '-o', join(root, `${dir}.o`)], {
      cwd: join(root, dir),
    });
  }
  writeFileSync(
    join(root, 'main.c'),
    'int a_entry(int); int b_entry(int);\nint main(void) { int s = 0; for (int i = 0; i < 10; i++) s += a_entry(i) + b_entry(i); return s & 1; }\n',
  );
  const exe = join(root, 'dup');
  await run('clang-16', ['-fprofile-generate', join(root, 'main.c'), join(root, 'a.o'), join(root, 'b.o'), '-o', exe]);
  const raw = join(root, 'dup.profraw');
  await run(exe, [], { env: { ...process.env, LLVM_PROFILE_FILE: raw } }).catch(() => undefined);
  const bytes = readFileSync(raw);
  const parsed = parseRawProfile(bytes);
  assert.ok(parsed.ok && parsed.segments.length === 1);
  const segment = parsed.segments[0]!;
  const keys = Array.from({ length: segment.functions }, (_, i) => {
    const at = 88 + Number(bytes.readBigUInt64LE(16)) + i * 48;
    return `${bytes.readBigUInt64LE(at)}:${bytes.readBigUInt64LE(at + 8)}`;
  });
  assert.equal(new Set(keys).size, keys.length - 1, 'one key appears twice in the module');
  const merged = join(root, 'dup.profdata');
  await run(LLVM_PROFDATA, ['merge', '-o', merged, raw]);
  const text = (await run(LLVM_PROFDATA, ['merge', '--text', '-o', '-', merged])).stdout;
  assert.equal(segment.mass, sumTextProfileCounters(text), 'the mass is what llvm-profdata merged');
});
