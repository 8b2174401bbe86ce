import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harvestAll, planBatches } from '../../src/harvest/harvest-all.js';

test('batches keep the files in order, the last one shorter', () => {
  assert.deepEqual(planBatches([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  assert.deepEqual(planBatches([], 256), []);
});

test('a batch also stops at its bytes; a file larger than that is a batch of its own', () => {
  const size = (n: number) => n;
  assert.deepEqual(planBatches([4, 4, 4, 9, 1, 1], 256, size, 8), [[4, 4], [4], [9], [1, 1]]);
  assert.deepEqual(planBatches([3, 3, 3], 2, size, 100), [[3, 3], [3]], 'the count still counts');
});

const files = (n: number) => Array.from({ length: n }, (_, id) => ({ id, size: 1 }));

/** A harvest whose batches finish when the test says so, recording which have started. */
function controlled() {
  const started: number[] = [];
  const finish = new Map<number, { resolve: (v: string) => void; reject: (e: Error) => void }>();
  const harvest = (batch: { id: number }[]) =>
    new Promise<string>((resolve, reject) => {
      started.push(batch[0]!.id);
      finish.set(batch[0]!.id, { resolve, reject });
    });
  return { started, finish, harvest };
}

const tick = () => new Promise((r) => setImmediate(r));

test('two batches at a time; reports come in batch order whichever finishes first', async () => {
  const { started, finish, harvest } = controlled();
  const reports: string[] = [];
  const all = harvestAll(files(4), 1, harvest, (r) => reports.push(r));
  await tick();
  assert.deepEqual(started, [0, 1], 'two at once');
  finish.get(1)!.resolve('b1');
  await tick();
  assert.deepEqual(reports, [], 'batch 1 waits for batch 0 to be reported');
  assert.deepEqual(started, [0, 1, 2], 'but its place goes to the next batch');
  finish.get(0)!.resolve('b0');
  await tick();
  assert.deepEqual(reports, ['b0', 'b1']);
  finish.get(2)!.resolve('b2');
  await tick();
  finish.get(3)!.resolve('b3');
  await all;
  assert.deepEqual(reports, ['b0', 'b1', 'b2', 'b3']);
});

test('after a failure no batch starts, the one under way finishes, then the failure is thrown', async () => {
  const { started, finish, harvest } = controlled();
  let settled = false;
  const all = harvestAll(files(4), 1, harvest, () => {}).finally(() => {
    settled = true;
  });
  await tick();
  finish.get(0)!.reject(new Error('disk full'));
  await tick();
  assert.deepEqual(started, [0, 1], 'nothing new starts');
  assert.equal(settled, false, 'batch 1 is still under way');
  finish.get(1)!.resolve('b1');
  await assert.rejects(all, /disk full/);
});
