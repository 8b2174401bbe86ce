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
