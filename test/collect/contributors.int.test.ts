/**
 * Untrusted counters: a valid raw profile with a managed build id and every
 * counter set to 10^15, dropped by another (trusted) contributor next to an
 * honest user's 50 runs, must not drown the honest data. Contributors are
 * merged separately and combined so that none exceeds maxContributorShare of
 * the total: the profile the optimized build uses stays within 1 − share of
 * the honest-only profile (llvm-profdata overlap), while a plain merge of the
 * same files would be nearly all forgery.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRawProfile } from '../../src/formats/raw-profile.js';
import { run } from '../../src/process/run.js';
import { withDatabase } from '../../src/state/database.js';
import { getPackage, listContributions } from '../../src/state/package-records.js';
import { stateLayout } from '../../src/state/state-layout.js';
import { profileOverlap } from '../../src/tools/llvm-profdata.js';
import { openTestCollector } from '../support/collector.js';
import {
  buildClangExample,
  ensureUserDir,
  LLVM_PROFDATA,
  tempDir,
  writerEnvironment,
} from '../support/spool-fixture.js';

const HONEST = 65534; // nobody
const FORGER = 4242;

/**
 * Cold made hot: every counter the honest run left at zero set to `value`, every other one to zero. Still a
 * valid profile with the program's build id, and as unlike the honest profile as a profile can be.
 */
function forge(raw: Buffer, value: bigint): Buffer {
  const forged = Buffer.from(raw);
  const parsed = parseRawProfile(forged);
  assert.ok(parsed.ok);
  for (const segment of parsed.segments) {
    for (let i = 0; i < segment.counters; i++) {
      const at = segment.countersOffset + i * segment.counterWidth;
      forged.writeBigUInt64LE(forged.readBigUInt64LE(at) === 0n ? value : 0n, at);
    }
  }
  return forged;
}

test('a forged profile of another contributor gets at most its share; the honest 50 runs are not drowned', async () => {
  const root = tempDir('forge');
  const example = await buildClangExample(root, 'forge');
  const layout = stateLayout(join(root, 'state'));
  const llvm = join(layout.spoolDir, 'llvm', String(HONEST));

  // The honest user's 50 runs, ten at a time.
  const env = writerEnvironment(layout.spoolDir);
  for (let batch = 0; batch < 5; batch++) {
    await Promise.all(
      Array.from({ length: 10 }, () => run(example.exe, [], { env, user: { uid: HONEST, gid: HONEST } })),
    );
  }
  const honestFiles = readdirSync(llvm).map((f) => join(llvm, f));
  const honestOnly = join(root, 'honest.profdata');
  await run(LLVM_PROFDATA, ['merge', '-o', honestOnly, ...honestFiles]);
  // The forger's file: the program's own raw profile, its cold counters at 10^15.
  const exeRaw = honestFiles.map((f) => readFileSync(f)).sort((a, b) => b.length - a.length)[0]!;
  const forgedPath = join(ensureUserDir(join(layout.spoolDir, 'llvm'), FORGER), '99999-1_0.profraw');
  writeFileSync(forgedPath, forge(exeRaw, 10n ** 15n));
  chownSync(forgedPath, FORGER, FORGER);
  const naive = join(root, 'naive.profdata');
  await run(LLVM_PROFDATA, ['merge', '-o', naive, ...honestFiles, forgedPath]);

  const collector = openTestCollector({
    layout,
    packages: [
      {
        name: example.name,
        manifestPath: example.manifestPath,
        trust: { anyone: false, uids: new Set([HONEST, FORGER]) },
        maxContributorShare: 0.5,
      },
    ],
  });
  try {
    const report = await collector.runOnce();
    assert.deepEqual(report.errors, []);
    assert.equal(report.harvested.quarantined, 0, 'both contributors are trusted');
  } finally {
    collector.close();
  }
  const { merged, contributions } = await withDatabase(layout.database, (db) => ({
    merged: getPackage(db, example.name)!,
    contributions: listContributions(db, example.name),
  }));
  assert.deepEqual(
    contributions.map((c) => [c.contributor, c.runs]),
    [
      [FORGER, 1],
      [HONEST, 50],
    ],
  );

  const kept = await profileOverlap(LLVM_PROFDATA, honestOnly, merged.mergedPath!);
  const drowned = await profileOverlap(LLVM_PROFDATA, honestOnly, naive);
  assert.ok(drowned! < 0.1, `a plain merge is nearly all forgery (overlap ${drowned})`);
  assert.ok(
    kept! >= 0.5 - 1e-6,
    `the combined profile keeps at least 1 − maxContributorShare of the honest one (overlap ${kept})`,
  );
});

test('one contributor alone is merged as is; its data is not scaled', async () => {
  const root = tempDir('alone');
  const example = await buildClangExample(root, 'alone');
  const layout = stateLayout(join(root, 'state'));
  const env = writerEnvironment(layout.spoolDir);
  for (let i = 0; i < 3; i++) await run(example.exe, [], { env });
  const mine = join(layout.spoolDir, 'llvm', String(process.getuid!()));
  const files = readdirSync(mine).map((f) => join(mine, f));
  const direct = join(root, 'direct.profdata');
  await run(LLVM_PROFDATA, ['merge', '-o', direct, ...files]);
  const collector = openTestCollector({
    layout,
    packages: [{ name: example.name, manifestPath: example.manifestPath }],
  });
  try {
    await collector.runOnce();
  } finally {
    collector.close();
  }
  const merged = await withDatabase(layout.database, (db) => getPackage(db, example.name)!.mergedPath!);
  const text = async (p: string) => (await run(LLVM_PROFDATA, ['merge', '--text', '-o', '-', p])).stdout;
  assert.equal(await text(merged), await text(direct));
});
