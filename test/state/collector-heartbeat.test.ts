/** The collector's heartbeat row, which status reads to say whether the daemon runs and since when. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  getCollectorHeartbeat,
  recordCollectorPass,
  recordCollectorStart,
  recordCollectorStop,
} from '../../src/state/collector-heartbeat.js';
import { withDatabase } from '../../src/state/database.js';
import { makeTempDir } from '../support/nix.js';

test('the heartbeat: started, passes, a clean stop; a new start clears what the last run left', async () => {
  await withDatabase(join(makeTempDir('heartbeat'), 'state.sqlite'), (db) => {
    assert.equal(getCollectorHeartbeat(db), null);
    recordCollectorStart(db, 10, new Date('2026-11-26T10:00:00Z'));
    recordCollectorPass(db, 10, new Date('2026-11-26T10:05:00Z'));
    recordCollectorPass(db, 99, new Date('2026-11-26T10:06:00Z'));
    assert.deepEqual(getCollectorHeartbeat(db), {
      pid: 10,
      startedAt: '2026-11-26T10:00:00.000Z',
      lastPassAt: '2026-11-26T10:05:00.000Z',
      stoppedAt: null,
    });
    recordCollectorStop(db, 10, new Date('2026-11-26T11:00:00Z'));
    assert.equal(getCollectorHeartbeat(db)!.stoppedAt, '2026-11-26T11:00:00.000Z');
    recordCollectorStart(db, 11, new Date('2026-11-26T12:00:00Z'));
    assert.deepEqual(getCollectorHeartbeat(db), {
      pid: 11,
      startedAt: '2026-11-26T12:00:00.000Z',
      lastPassAt: null,
      stoppedAt: null,
    });
  });
});
