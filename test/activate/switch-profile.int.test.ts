// One Nix profile for every managed package: two packages that ship the same
// file name do not fail the switch; the one whose name sorts first is linked.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/process/run.js';
import { planProfileContents, profileContents, switchProfile } from '../../src/activate/switch-profile.js';
import { makeTempDir } from '../support/nix.js';

/** A store path with bin/hello (printing `who`) and one file of its own. */
async function storePackage(dir: string, who: string): Promise<string> {
  const root = join(dir, who);
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'share', who), { recursive: true });
  writeFileSync(join(root, 'bin', 'hello'), `#!/bin/sh\necho ${who}\n`, { mode: 0o755 });
  writeFileSync(join(root, 'share', who, 'README'), who);
  return (await run('nix-store', ['--add', root])).stdout.trim();
}

describe('switchProfile', () => {
  it('gives each package its place in name order as its priority', () => {
    assert.deepEqual(planProfileContents({ wordfreq: '/nix/store/w', calc: '/nix/store/c', Calc: '/nix/store/C' }), [
      { name: 'Calc', storePath: '/nix/store/C', priority: 0 },
      { name: 'calc', storePath: '/nix/store/c', priority: 1 },
      { name: 'wordfreq', storePath: '/nix/store/w', priority: 2 },
    ]);
  });

  it('holds two packages that ship the same file; the one whose name sorts first wins it, whatever their order', async () => {
    const dir = makeTempDir('collision');
    const first = await storePackage(dir, 'first');
    const second = await storePackage(dir, 'second');
    const profile = join(dir, 'profile');

    await switchProfile(profile, { beta: second, alpha: first });
    assert.deepEqual((await profileContents(profile)).sort(), [first, second].sort());
    assert.equal(realpathSync(join(profile, 'bin/hello')), join(first, 'bin/hello'));
    // Each package's other files are there.
    assert.equal(readFileSync(join(profile, 'share/first/README'), 'utf8'), 'first');
    assert.equal(readFileSync(join(profile, 'share/second/README'), 'utf8'), 'second');

    // The names decide, not the store paths: renamed, the other one wins.
    await switchProfile(profile, { alpha: second, beta: first });
    assert.equal(realpathSync(join(profile, 'bin/hello')), join(second, 'bin/hello'));
    assert.deepEqual(
      (await run('nix-env', ['-p', profile, '--query'])).stdout
        .trim()
        .split('\n')
        .map((l) => l.trim()),
      ['alpha', 'beta'],
    );
  });
});
