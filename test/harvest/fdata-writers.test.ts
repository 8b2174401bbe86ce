/** A BOLT profile is taken only once the process named in it is gone (or its pid now names a younger process). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { isWriterGone, readProcessStart } from '../../src/harvest/fdata-writers.js';

test('the pure rule: no process, a zombie, a process of another user, or one started after the last write means the writer is gone', () => {
  const uid = 1000;
  assert.equal(isWriterGone(1_000_000, null, uid), true);
  assert.equal(isWriterGone(1_000_000, { startMs: 900_000, zombie: true, uid }, uid), true);
  assert.equal(isWriterGone(1_000_000, { startMs: 900_000, zombie: false, uid }, uid), false);
  assert.equal(
    isWriterGone(1_000_000, { startMs: 1_001_000, zombie: false, uid }, uid),
    false,
    'within the clock slack it may be the writer',
  );
  assert.equal(isWriterGone(1_000_000, { startMs: 1_010_000, zombie: false, uid }, uid), true, 'the pid was reused');
  assert.equal(
    isWriterGone(1_000_000, { startMs: 900_000, zombie: false, uid: 0 }, uid),
    true,
    "a process of another user (pid 1, root's) never wrote a file this user owns",
  );
});

test("pid 1 is root's: a file of another user named after it is not waiting for a writer", () => {
  const init = readProcessStart(1);
  assert.ok(init && init.uid === 0);
  assert.equal(isWriterGone(Date.now(), init, 65534), true);
  assert.equal(isWriterGone(Date.now(), init, 0), false, "root's own file named after pid 1 may still be written");
});

test('a real process: running it is the writer of a file written after it started; once it exited it is gone', async () => {
  const child = spawn('sleep', ['30']);
  await new Promise((r) => child.once('spawn', r));
  const started = readProcessStart(child.pid!);
  assert.ok(started, 'a running process has a start time');
  assert.ok(
    Math.abs(started.startMs - Date.now()) < 5000,
    `start time ${new Date(started.startMs).toISOString()} is about now`,
  );
  assert.equal(isWriterGone(Date.now(), started, process.getuid!()), false);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.equal(isWriterGone(Date.now(), readProcessStart(child.pid!), process.getuid!()), true);
});
