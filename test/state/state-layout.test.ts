/** Where a state directory keeps what. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveDefaultStateDir } from '../../src/config/default-paths.js';
import { stateLayout } from '../../src/state/state-layout.js';

test('the state directory follows XDG_STATE_HOME, then HOME; its files sit below it', () => {
  assert.equal(resolveDefaultStateDir({ XDG_STATE_HOME: '/x/state', HOME: '/home/u' }), '/x/state/nix-pgo');
  assert.equal(resolveDefaultStateDir({ HOME: '/home/u' }), '/home/u/.local/state/nix-pgo');
  assert.equal(resolveDefaultStateDir({}), undefined);
  const layout = stateLayout('/st');
  assert.equal(layout.spoolDir, '/st/spool');
  assert.equal(layout.database, '/st/state.sqlite');
  assert.equal(layout.lockFile, '/st/pgo-lock.json');
  assert.equal(stateLayout('/st', '/var/spool/nix-pgo').spoolDir, '/var/spool/nix-pgo');
});
