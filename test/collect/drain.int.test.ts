/**
 * A harvested raw profile is unlinked. A process that opened it just before
 * (a forked child that writes under its parent's pid, or a reused pid) and
 * waited for our lock writes into the unlinked file; the collector keeps the
 * descriptor and takes that data at the next pass: nothing is lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { run } from '../../src/process/run.js';
import { withDatabase } from '../../src/state/database.js';
import { getPackage } from '../../src/state/package-records.js';
import { stateLayout } from '../../src/state/state-layout.js';
import { openTestCollector } from '../support/collector.js';
import { repoRoot } from '../support/nix.js';
import { buildClangExample, clangCounts, LLVM_PROFDATA, tempDir, writerEnvironment } from '../support/spool-fixture.js';

/** The files under `dir` this process holds a descriptor of that no longer have a name. */
function heldUnlinked(dir: string): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      return target.startsWith(`${dir}/`) && target.endsWith(' (deleted)') ? [target] : [];
    } catch {
      return [];
    }
  });
}

test('data written into a raw profile after it was harvested and unlinked is taken at the next pass', async () => {
  const root = tempDir('drain');
  const example = await buildClangExample(root, 'drain');
  const layout = stateLayout(join(root, 'state'));
  await run(example.exe, [], { env: writerEnvironment(layout.spoolDir) });
  const llvm = join(layout.spoolDir, 'llvm', String(process.getuid!()));
  const first = readdirSync(llvm).map((f) => join(llvm, f));
  const exeFile = first.sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0]!;
  // A second run's profile of the program, which the late writer will put into the unlinked file.
  const scratch = join(root, 'scratch');
  mkdirSync(scratch);
  await run(example.exe, [], { env: { ...process.env, LLVM_PROFILE_FILE: join(scratch, '%p-%m.profraw') } });
  const second = readdirSync(scratch)
    .map((f) => join(scratch, f))
    .sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0]!;
  const expected = join(root, 'expected.profdata');
  await run(LLVM_PROFDATA, ['merge', '-o', expected, ...first, second]);
  const beforeUnlink = readFileSync(exeFile);

  // The late writer: opens the file now, then waits; when told, locks it (as the runtime does) and writes.
  const writer = spawn(
    process.execPath,
    [
      '-e',
      `const fs = require('node:fs');
       const addon = require(${JSON.stringify(join(repoRoot, 'build/Release/record_lock.node'))});
       const fd = fs.openSync(${JSON.stringify(exeFile)}, 'r+');
       process.stdout.write('open\\n');
       process.stdin.once('data', () => {
         addon.lockWriteWait(fd);
         const bytes = fs.readFileSync(${JSON.stringify(second)});
         fs.writeSync(fd, bytes, 0, bytes.length, fs.fstatSync(fd).size);
         addon.unlock(fd);
         fs.closeSync(fd);
         process.exit(0);
       });`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  await once(writer.stdout!, 'data');

  const collector = openTestCollector({
    layout,
    packages: [{ name: example.name, manifestPath: example.manifestPath }],
    limits: { drainMs: 60_000 },
  });
  try {
    const firstPass = await collector.runOnce();
    assert.equal(firstPass.harvested.taken, 2);
    assert.deepEqual(readdirSync(llvm), [], 'harvested files are unlinked');
    assert.equal(heldUnlinked(llvm).length, 2, 'both harvested files are held to drain');
    writer.stdin!.write('go\n');
    assert.equal((await once(writer, 'exit'))[0], 0);
    const secondPass = await collector.runOnce();
    assert.equal(secondPass.harvested.bytes, readFileSync(second).length, 'the late write is taken');
    const thirdPass = await collector.runOnce();
    assert.equal(thirdPass.harvested.taken, 0, 'and only once');
  } finally {
    collector.close();
  }
  assert.ok(beforeUnlink.length > 0);
  const merged = await withDatabase(layout.database, (db) => getPackage(db, example.name)!.mergedPath!);
  assert.deepEqual(await clangCounts(merged), await clangCounts(expected));
});
