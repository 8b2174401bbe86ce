/** The merge queue: bounded concurrency, never one package twice at once, re-adds merged again. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MergeQueue } from '../../src/merge/merge-queue.js';
import { packagesToMergeEarly } from '../../src/merge/plan-merge.js';

test('runs at most `concurrency` merges and never the same package twice at once', async () => {
  const active = new Set<string>();
  let peak = 0;
  const order: string[] = [];
  let release: (() => void)[] = [];
  const queue = new MergeQueue(async (name) => {
    assert.ok(!active.has(name), `${name} merged twice at once`);
    active.add(name);
    peak = Math.max(peak, active.size);
    order.push(name);
    await new Promise<void>((r) => release.push(r));
    active.delete(name);
  }, 2);
  queue.add('a');
  queue.add('b');
  queue.add('c');
  queue.add('a'); // a is only queued yet: one merge takes all its inputs
  await new Promise((r) => setImmediate(r));
  assert.deepEqual([...active].sort(), ['a', 'b']);
  queue.add('a'); // a is running: it is merged again after
  queue.add('c'); // c is still queued: no second entry
  const drain = async () => {
    while (
      !(await Promise.race([queue.done.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1))]))
    ) {
      const waiting = release;
      release = [];
      for (const r of waiting) r();
    }
  };
  queue.close();
  await drain();
  assert.equal(peak, 2);
  assert.deepEqual([...order].sort(), ['a', 'a', 'b', 'c']);
});

test('a package merges early once a batch no longer adds to it', () => {
  assert.deepEqual(packagesToMergeEarly(new Set(['a', 'b']), new Set(['b', 'c'])), ['a']);
  assert.deepEqual(packagesToMergeEarly(new Set(), new Set(['a'])), []);
});
