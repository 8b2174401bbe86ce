/** The lifecycle table: each step is computed from the record it replaces and logged with the state it left. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { newLifecycleRecord } from '../../src/model/lifecycle-record.js';
import { withDatabase } from '../../src/state/database.js';
import { getLifecycle, saveLifecycle, updateLifecycle } from '../../src/state/lifecycle-records.js';
import { makeTempDir } from '../support/nix.js';

const t0 = new Date('2026-11-26T12:00:00Z');

test('a step sees what another writer stored, not the copy its caller read earlier', async () => {
  const file = join(makeTempDir('lifecycle'), 'state.sqlite');
  await withDatabase(file, (db) => {
    saveLifecycle(db, newLifecycleRecord('calc', t0), 'created');
    const early = getLifecycle(db, 'calc')!;
    // Meanwhile a user's command holds the package and requests a build.
    saveLifecycle(db, { ...early, state: 'profiling', held: true, buildRequested: true }, 'switched');
    const seen: string[] = [];
    const after = updateLifecycle(db, 'calc', (current) => {
      seen.push(current!.state);
      return { record: { ...current!, reason: 'data arrived', state: 'collecting' }, event: 'data-arrived' };
    });
    assert.deepEqual(seen, ['profiling']);
    assert.equal(after?.held, true);
    assert.equal(after?.buildRequested, true);
    assert.deepEqual(getLifecycle(db, 'calc'), after);
  });
  const events = new Database(file, { readonly: true })
    .prepare('SELECT event, from_state, to_state FROM lifecycle_events ORDER BY id')
    .all();
  assert.deepEqual(events, [
    { event: 'created', from_state: null, to_state: 'vanilla' },
    { event: 'switched', from_state: 'vanilla', to_state: 'profiling' },
    { event: 'data-arrived', from_state: 'profiling', to_state: 'collecting' },
  ]);
});

test('a step that decides nothing saves nothing and returns the record as stored', async () => {
  const file = join(makeTempDir('lifecycle-none'), 'state.sqlite');
  await withDatabase(file, (db) => {
    assert.equal(
      updateLifecycle(db, 'calc', () => null),
      null,
    );
    saveLifecycle(db, newLifecycleRecord('calc', t0), 'created');
    assert.equal(updateLifecycle(db, 'calc', () => null)?.state, 'vanilla');
    const count = () => (db.prepare('SELECT COUNT(*) AS n FROM lifecycle_events').get() as { n: number }).n;
    assert.equal(count(), 1);
  });
});

test('a step that throws changes nothing', async () => {
  const file = join(makeTempDir('lifecycle-throw'), 'state.sqlite');
  await withDatabase(file, (db) => {
    saveLifecycle(db, newLifecycleRecord('calc', t0), 'created');
    assert.throws(() =>
      updateLifecycle(db, 'calc', (current) => {
        db.prepare('UPDATE lifecycle SET data = ? WHERE name = ?').run(
          JSON.stringify({ ...current, reason: 'half' }),
          'calc',
        );
        throw new Error('no such move');
      }),
    );
    assert.equal(getLifecycle(db, 'calc')?.reason, 'not built yet');
  });
});
