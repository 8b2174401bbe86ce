/**
 * Managed packages whose active variants ship the same program: which files
 * collide, and which package's file the Nix profile runs (read from its links,
 * else by its rule: the name that sorts first).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findProfileCollisions, planCollisions } from '../../src/activate/profile-collisions.js';
import { newLifecycleRecord } from '../../src/model/lifecycle-record.js';
import { tempDir } from '../support/spool-fixture.js';

describe('planCollisions', () => {
  it('names each file more than one package ships, with the one the profile links', () => {
    const files = new Map([
      ['tickerLive', ['bin/ticker', 'bin/tickerctl']],
      ['ticker', ['bin/ticker']],
      ['calc', ['bin/calc', 'sbin/tickerctl']],
    ]);
    assert.deepEqual(
      planCollisions(files, (file) => (file === 'bin/ticker' ? 'tickerLive' : null)),
      [{ file: 'bin/ticker', packages: ['ticker', 'tickerLive'], winner: 'tickerLive', from: 'profile' }],
    );
  });

  it('without a link to any of them, the rule decides: the name that sorts first (by code unit)', () => {
    const files = new Map([
      ['hello', ['bin/hello']],
      ['Hello', ['bin/hello']],
      ['calc', ['bin/hello']],
    ]);
    assert.deepEqual(
      planCollisions(files, () => null),
      [{ file: 'bin/hello', packages: ['Hello', 'calc', 'hello'], winner: 'Hello', from: 'rule' }],
    );
  });
});

describe('findProfileCollisions', () => {
  it("reads the active variants' bin/ and sbin/ and the profile's links", () => {
    const root = tempDir('collisions');
    const variant = (name: string, programs: string[]) => {
      const path = join(root, 'store', name);
      for (const program of programs) {
        mkdirSync(join(path, program, '..'), { recursive: true });
        writeFileSync(join(path, program), '');
      }
      return path;
    };
    const ticker = variant('ticker', ['bin/ticker', 'sbin/tickerd']);
    const live = variant('tickerLive', ['bin/ticker', 'sbin/tickerd', 'lib/libticker.so']);
    const calc = variant('calc', ['bin/calc']);
    // The profile links bin/ticker to tickerLive's (as if its priority were higher) and has no sbin/.
    const profile = join(root, 'profile');
    mkdirSync(join(profile, 'bin'), { recursive: true });
    symlinkSync(join(live, 'bin/ticker'), join(profile, 'bin/ticker'));
    const record = (name: string, activePath: string | null) => ({
      ...newLifecycleRecord(name, new Date()),
      activePath,
    });
    const records = [record('ticker', ticker), record('tickerLive', live), record('calc', calc), record('off', null)];
    assert.deepEqual(findProfileCollisions(profile, records), [
      { file: 'bin/ticker', packages: ['ticker', 'tickerLive'], winner: 'tickerLive', from: 'profile' },
      { file: 'sbin/tickerd', packages: ['ticker', 'tickerLive'], winner: 'ticker', from: 'rule' },
    ]);
    assert.deepEqual(findProfileCollisions(profile, [record('calc', calc), record('ticker', ticker)]), []);
  });
});
