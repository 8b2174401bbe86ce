/** Passes on changes in watched directories: debounced either way, never two at once. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DirectoryWatcher, type DirectoryWatcherOptions } from '../../src/watch/directory-watcher.js';
import { tempDir } from '../support/spool-fixture.js';

function watcher(pass: () => Promise<void>, options: Partial<DirectoryWatcherOptions>): DirectoryWatcher {
  return new DirectoryWatcher(pass, {
    debounceMs: 50,
    debounceFrom: 'first-event',
    rescanIntervalMs: null,
    onError: (error) => assert.fail(String(error)),
    ...options,
  });
}

test('debounced from the last event: one pass, once the events have stopped for the debounce', async () => {
  const passes: number[] = [];
  const w = watcher(async () => void passes.push(Date.now()), { debounceFrom: 'last-event' });
  w.start(false);
  let last = 0;
  for (let i = 0; i < 5; i++) {
    last = Date.now();
    w.trigger();
    await sleep(20);
  }
  await sleep(200);
  await w.stop();
  assert.equal(passes.length, 1);
  assert.ok(passes[0]! >= last + 50, `the pass ran ${passes[0]! - last} ms after the last event`);
});

test('debounced from the first event: events that keep coming do not hold the pass off', async () => {
  const passes: number[] = [];
  const w = watcher(async () => void passes.push(Date.now()), {});
  w.start(false);
  const first = Date.now();
  const until = first + 300;
  while (Date.now() < until) {
    w.trigger();
    await sleep(10);
  }
  const last = Date.now();
  await sleep(150);
  await w.stop();
  assert.ok(passes.length >= 2, `${passes.length} passes`);
  assert.ok(passes[0]! < last, 'a pass ran while the events went on');
});

test('a change during a pass runs one more pass after it, never two at once', async () => {
  let running = 0;
  let most = 0;
  let passes = 0;
  const w = watcher(
    async () => {
      running++;
      most = Math.max(most, running);
      await sleep(100);
      running--;
      passes++;
    },
    { debounceMs: 10 },
  );
  w.start(true);
  await sleep(40);
  w.trigger();
  w.trigger();
  await sleep(400);
  await w.stop();
  assert.equal(most, 1);
  assert.equal(passes, 2);
});

test('a file event in a followed directory runs a pass, unless its name is refused', async () => {
  const dir = tempDir('watch');
  let passes = 0;
  const w = watcher(async () => void passes++, {});
  w.start(false);
  assert.deepEqual([...w.follow([dir], (name) => name === 'config.json').keys()], []);
  writeFileSync(join(dir, 'other.json'), '{}');
  await sleep(200);
  assert.equal(passes, 0);
  writeFileSync(join(dir, 'config.json'), '{}');
  await sleep(200);
  assert.equal(passes, 1);
  assert.deepEqual([...w.follow([join(dir, 'missing')]).keys()], [join(dir, 'missing')]);
  await w.stop();
});
