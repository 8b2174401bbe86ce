/**
 * A stored merged profile that cannot be read (older versions could commit an
 * empty one) must not make every later merge fail: it is recorded as
 * `broken-merge` and merging goes on from the data that can be read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withDatabase } from '../../src/state/database.js';
import { getPackage, listContributions } from '../../src/state/package-records.js';
import { stateLayout } from '../../src/state/state-layout.js';
import { checkMergedProfile } from '../../src/merge/verify-profile.js';
import { openTestCollector } from '../support/collector.js';
import {
  buildClangExample,
  buildGccExample,
  clangCounts,
  gccCounts,
  runExample,
  tempDir,
} from '../support/spool-fixture.js';

for (const toolchain of ['clang', 'gcc'] as const) {
  test(`${toolchain}: a broken stored merge is recorded and replaced by a merge of the new data`, async () => {
    const root = tempDir(`broken-${toolchain}`);
    const example =
      toolchain === 'clang' ? await buildClangExample(root, 'broken') : await buildGccExample(root, 'broken');
    const layout = stateLayout(join(root, 'state'));
    const one = stateLayout(join(root, 'one'));
    const collector = openTestCollector({
      layout,
      packages: [{ name: example.name, manifestPath: example.manifestPath }],
    });
    const reference = openTestCollector({
      layout: one,
      packages: [{ name: example.name, manifestPath: example.manifestPath }],
    });
    try {
      await runExample(example, layout.spoolDir);
      await collector.runOnce();
      // Break both the contributor's profile and the package's, as an empty merge would have.
      const stored = await withDatabase(layout.database, (db) => [
        getPackage(db, example.name)!.mergedPath!,
        ...listContributions(db, example.name).map((c) => c.path),
      ]);
      for (const path of stored) {
        rmSync(path, { recursive: true, force: true });
        if (toolchain === 'clang') writeFileSync(path, '');
        else mkdirSync(path);
      }
      await runExample(example, layout.spoolDir);
      const report = await collector.runOnce();
      assert.deepEqual(report.errors, []);
      // The same single run, merged alone elsewhere, is what the recovered profile must hold.
      await runExample(example, one.spoolDir);
      await reference.runOnce();
    } finally {
      collector.close();
      reference.close();
    }
    const { merged, broken } = await withDatabase(layout.database, (db) => ({
      merged: getPackage(db, example.name)!,
      broken: (db.prepare("SELECT COUNT(*) AS n FROM quarantine WHERE reason = 'broken-merge'").get() as { n: number })
        .n,
    }));
    assert.equal(merged.generation, 2);
    assert.equal(checkMergedProfile(toolchain, merged.mergedPath!), null);
    assert.ok(broken >= 1, 'the broken profile is recorded');
    const alone = await withDatabase(one.database, (db) => getPackage(db, example.name)!.mergedPath!);
    const counts = toolchain === 'clang' ? clangCounts : async (p: string) => gccCounts(p);
    assert.deepEqual(await counts(merged.mergedPath!), await counts(alone));
  });
}

test('a merge tool that exits 0 with an empty output never makes a generation', async () => {
  const root = tempDir('empty-merge');
  const example = await buildClangExample(root, 'emptymerge');
  // A "merge tool" that creates its --output empty and reports success.
  const fake = join(root, 'fake-profdata');
  writeFileSync(fake, '#!/bin/sh\nwhile [ $# -gt 0 ]; do if [ "$1" = --output ]; then : > "$2"; fi; shift; done\n', {
    mode: 0o755,
  });
  const manifest = JSON.parse(readFileSync(example.manifestPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(example.manifestPath, JSON.stringify({ ...manifest, mergeTool: fake }));
  const layout = stateLayout(join(root, 'state'));
  const collector = openTestCollector({
    layout,
    packages: [{ name: example.name, manifestPath: example.manifestPath }],
  });
  try {
    await runExample(example, layout.spoolDir);
    const report = await collector.runOnce();
    assert.equal(report.errors.length, 1);
    assert.match(report.errors[0]!.message, /produced no usable profile/);
  } finally {
    collector.close();
  }
  const pkg = await withDatabase(layout.database, (db) => getPackage(db, example.name)!);
  assert.equal(pkg.generation, 0, 'no generation committed');
  assert.equal(pkg.mergedPath, null);
});
