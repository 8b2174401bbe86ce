/**
 * Whether the daemon runs: the collector lock's holder, read without taking it
 * (from a read-only descriptor, as `status` run by another user opens it), and
 * the heartbeat row say running, stopped, died (and since when) or never ran.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { judgeDaemon, probeCollectorLock } from '../../src/status/daemon-state.js';

const started = { pid: 4242, startedAt: '2026-11-26T10:00:00Z', lastPassAt: null, stoppedAt: null };
const passed = { ...started, lastPassAt: '2026-11-26T11:00:00Z' };

describe('judgeDaemon', () => {
  it('running: the lock holder is the process the heartbeat names, since its start', () => {
    assert.deepEqual(judgeDaemon({ holder: 4242 }, passed), {
      state: 'running',
      pid: 4242,
      since: '2026-11-26T10:00:00Z',
      lastPassAt: '2026-11-26T11:00:00Z',
      detail: null,
    });
    assert.equal(judgeDaemon({ holder: -1 }, passed).state, 'running', 'a holder in another pid namespace');
  });

  it('locked: another process holds the lock than the heartbeat names', () => {
    assert.equal(judgeDaemon({ holder: 5000 }, passed).state, 'locked');
    assert.equal(judgeDaemon({ holder: 4242 }, { ...passed, stoppedAt: '2026-11-26T11:01:00Z' }).state, 'locked');
    assert.equal(judgeDaemon({ holder: 5000 }, null).state, 'locked');
  });

  it('not running: stopped (since its stop), died (since its last pass, else its start), never ran', () => {
    const stopped = judgeDaemon({ holder: 0 }, { ...passed, stoppedAt: '2026-11-26T11:01:00Z' });
    assert.deepEqual([stopped.state, stopped.since], ['stopped', '2026-11-26T11:01:00Z']);
    const died = judgeDaemon({ holder: 0 }, passed);
    assert.deepEqual([died.state, died.since, died.pid], ['died', '2026-11-26T11:00:00Z', null]);
    assert.equal(judgeDaemon({ holder: 0 }, started).since, '2026-11-26T10:00:00Z');
    assert.equal(judgeDaemon({ holder: 0 }, null).state, 'never');
    assert.deepEqual(judgeDaemon({ error: 'engine.lock: EACCES' }, passed), {
      state: 'unknown',
      pid: null,
      since: null,
      lastPassAt: '2026-11-26T11:00:00Z',
      detail: 'engine.lock: EACCES',
    });
  });
});

describe('probeCollectorLock', () => {
  it('names the pid of another process that holds the lock, and nobody once it is gone or the file is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nix-pgo-lock-'));
    const lock = join(dir, 'engine.lock');
    try {
      assert.deepEqual(probeCollectorLock(lock), { holder: 0 }, 'no lock file: nobody');
      writeFileSync(lock, '', { mode: 0o600 });
      assert.deepEqual(probeCollectorLock(lock), { holder: 0 });
      // The holder takes the lock as the collector does, then waits for its stdin to close.
      const holder = spawn(
        process.execPath,
        [
          '-e',
          `const fs = require('node:fs');
           const addon = require(${JSON.stringify(join(process.cwd(), 'build/Release/record_lock.node'))});
           const fd = fs.openSync(${JSON.stringify(lock)}, 'a+');
           process.stdout.write(addon.tryLockWrite(fd) ? 'locked\\n' : 'refused\\n');
           process.stdin.resume();
           process.stdin.on('end', () => process.exit(0));`,
        ],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      );
      const [line] = (await once(holder.stdout!, 'data')) as [Buffer];
      assert.equal(line.toString().trim(), 'locked');
      assert.deepEqual(probeCollectorLock(lock), { holder: holder.pid });
      holder.stdin!.end();
      await once(holder, 'exit');
      assert.deepEqual(probeCollectorLock(lock), { holder: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
