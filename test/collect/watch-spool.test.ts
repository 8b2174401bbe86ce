/** The watcher that drives the daemon's passes, with a recording pass in place of the collector's. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpoolWatcher } from '../../src/collect/watch-spool.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `check` holds, however loaded the machine; plain sleeps only precede checks that nothing more ran. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (check()) return;
    await sleep(10);
  }
  assert.fail(`not reached: ${what}`);
}

/** A watcher whose passes are recorded (their start times) and answer with `answer`; each pass lasts `passMs`. */
function recordingWatcher(
  answer: (n: number) => { directories: string[]; busy: number; live?: number },
  liveIntervalMs = 3_600_000,
  passMs = 0,
) {
  const passes: number[] = [];
  const watcher = new SpoolWatcher(
    async () => {
      passes.push(Date.now());
      const { directories, busy, live } = answer(passes.length);
      if (passMs > 0) await sleep(passMs);
      return { directories, harvested: { busy }, live: live ?? 0 };
    },
    {
      debounceMs: 10,
      rescanIntervalMs: 3_600_000,
      liveIntervalMs,
      onError: (error) => assert.fail(String(error)),
    },
  );
  return { watcher, passes };
}

test('trigger() runs a pass after start(), and nothing before', async () => {
  const { watcher, passes } = recordingWatcher(() => ({ directories: [], busy: 0 }));
  try {
    watcher.trigger();
    await sleep(100);
    assert.equal(passes.length, 0);
    watcher.start();
    await until(() => passes.length === 1, 'the first pass');
    watcher.trigger();
    await until(() => passes.length === 2, 'the pass asked for');
  } finally {
    await watcher.stop();
  }
});

test('a directory watched for the first time gets one more pass (what was written before the watch sent no event)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nix-pgo-watch-'));
  const { watcher, passes } = recordingWatcher(() => ({ directories: [dir], busy: 0 }));
  try {
    watcher.start();
    await until(() => passes.length === 2, 'the first pass, and one after the new watch');
    await sleep(300);
    assert.equal(passes.length, 2, 'only one more');
    writeFileSync(join(dir, 'x.profraw'), 'x');
    await until(() => passes.length === 3, 'a pass on the file event');
  } finally {
    await watcher.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a pass that left files busy is followed by another a second later, without any event; then none', async () => {
  const { watcher, passes } = recordingWatcher((n) => ({ directories: [], busy: n === 1 ? 1 : 0 }));
  try {
    watcher.start();
    await until(() => passes.length === 2, 'the second pass');
    assert.ok(passes[1]! - passes[0]! >= 900, `the second pass ${passes[1]! - passes[0]!} ms after the first`);
    await sleep(1200);
    assert.equal(passes.length, 2, 'nothing busy: no more passes');
  } finally {
    await watcher.stop();
  }
});

test('while passes find files of running programs, one starts every live interval from the last start; then none', async () => {
  // Three passes find live files; each takes 150 ms, which must not stretch the 400 ms interval.
  const { watcher, passes } = recordingWatcher((n) => ({ directories: [], busy: 0, live: n <= 3 ? 2 : 0 }), 400, 150);
  try {
    watcher.start();
    await until(() => passes.length === 4, 'three passes on the schedule after the first');
    const gaps = passes.slice(1).map((at, i) => at - passes[i]!);
    for (const gap of gaps) assert.ok(gap >= 390 && gap < 1000, `passes ${gaps.join(', ')} ms apart`);
    await sleep(900);
    assert.equal(passes.length, 4, 'no live files left: no more passes');
  } finally {
    await watcher.stop();
  }
});

test('busy files and live files: the earlier of the two schedules', async () => {
  const { watcher, passes } = recordingWatcher((n) => ({ directories: [], busy: n === 1 ? 1 : 0, live: 1 }), 3000);
  try {
    watcher.start();
    await until(() => passes.length === 2, 'the retry for the busy file');
    const gap = passes[1]! - passes[0]!;
    assert.ok(
      gap >= 900 && gap < 2500,
      `the second pass ${gap} ms after the first (busy retry, not the live interval)`,
    );
  } finally {
    await watcher.stop();
  }
});
