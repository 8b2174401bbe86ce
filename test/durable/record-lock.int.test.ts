/**
 * The addon's fcntl record lock is the lock the profile runtimes honour: a real
 * clang-16 program and a real libgcov program wait while the harvester holds
 * it, and finish (counting their run) once it is released.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openSpoolFile } from '../../src/harvest/open-spool-file.js';
import { lockHolder, tryLockWrite, unlockFile } from '../../src/durable/record-lock.js';
import { run } from '../../src/process/run.js';
import { stateLayout } from '../../src/state/state-layout.js';
import {
  buildClangExample,
  buildGccExample,
  runExample,
  scanTestSpool,
  tempDir,
  writerEnvironment,
  type Example,
} from '../support/spool-fixture.js';

/** True once /proc/locks shows `pid` waiting for a lock on the file with this inode. */
function isWaiting(pid: number, ino: number): boolean {
  return readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .some((line) => line.includes('->') && line.split(/\s+/).includes(String(pid)) && line.includes(`:${ino} `));
}

async function waitUntil(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.fail(`gave up waiting: ${what}`);
}

/** Runs the example twice with `env`: the second run must wait while we hold the lock of the file the first one wrote. */
async function blocksWhileLocked(
  example: Example,
  env: (spool: string) => NodeJS.ProcessEnv,
  pick: (files: string[]) => string,
): Promise<void> {
  const spool = stateLayout(tempDir(`lock-${example.toolchain}`)).spoolDir;
  await run(example.exe, [], { env: env(spool) });
  const files = scanTestSpool(spool).files.map((f) => f.path);
  const target = pick(files);
  const sizeBefore = statSync(target).size;
  const opened = openSpoolFile(target, process.getuid!());
  assert.ok(opened.ok);
  assert.equal(tryLockWrite(opened.fd), true);
  let pid = 0;
  let exited = false;
  const program = run(example.exe, [], { env: env(spool), onSpawn: (p) => (pid = p) }).then(() => {
    exited = true;
  });
  await waitUntil(() => pid !== 0 && isWaiting(pid, Number(opened.stat.ino)), 'the program waits for the lock');
  assert.equal(exited, false, 'the program cannot finish while the lock is held');
  unlockFile(opened.fd);
  closeSync(opened.fd);
  await program;
  assert.equal(statSync(target).size, sizeBefore, 'the run merged into the same file');
}

test('a clang-16 program waits on the fcntl lock of its %m profile', async () => {
  const example = await buildClangExample(tempDir('lockc'), 'lockc');
  // A pattern without %p, so the second run writes the same file as the first (in the user's own directory).
  const env = (spool: string) => ({
    ...process.env,
    LLVM_PROFILE_FILE: join(spool, 'llvm', String(process.getuid!()), '%m.profraw'),
  });
  // The executable's own profile is the larger of the two %m files (the library's has one function).
  await blocksWhileLocked(example, env, (files) => files.sort((a, b) => statSync(b).size - statSync(a).size)[0]!);
});

test('a gcc program waits on the fcntl lock of its gcda file', async () => {
  const example = await buildGccExample(tempDir('lockg'), 'lockg');
  const env = (spool: string) => writerEnvironment(spool);
  await blocksWhileLocked(example, env, (files) => files.find((f) => f.endsWith('-prog.gcda'))!);
});

test('a second lock on the same file from another process is refused without waiting', async () => {
  const dir = tempDir('lock2');
  const example = await buildClangExample(dir, 'lockd');
  const spool = stateLayout(dir).spoolDir;
  await runExample(example, spool);
  const file = scanTestSpool(spool).files[0]!.path;
  const opened = openSpoolFile(file, process.getuid!());
  assert.ok(opened.ok);
  assert.equal(lockHolder(opened.fd), 0, 'nobody holds it yet');
  assert.equal(tryLockWrite(opened.fd), true);
  // A lock holder is visible from a separate process (locks are per process, so ask another one).
  const probe = `
    const fs = require('node:fs');
    const addon = require(${JSON.stringify(join(process.cwd(), 'build/Release/record_lock.node'))});
    const fd = fs.openSync(${JSON.stringify(file)}, 'r+');
    process.stdout.write(JSON.stringify({ got: addon.tryLockWrite(fd), holder: addon.lockHolder(fd) }));`;
  const { stdout } = await run(process.execPath, ['-e', probe]);
  assert.deepEqual(JSON.parse(stdout), { got: false, holder: process.pid });
  unlockFile(opened.fd);
  closeSync(opened.fd);
  assert.ok(readdirSync(join(spool, 'llvm', String(process.getuid!()))).length >= 1);
});
