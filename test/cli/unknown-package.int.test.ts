/**
 * A mistyped package name on the command line is an input error that names
 * the package and suggests the closest managed one, for every command that
 * takes a name; never an internal error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../support/daemon.js';
import { examples, makeTempDir } from '../support/nix.js';

test('switch, build, rollback and status with a mistyped name say so, suggest the name and exit 64', () => {
  const dir = makeTempDir('typo');
  mkdirSync(join(dir, 'state'));
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({ stateDir: join(dir, 'state'), nixFile: examples, packages: { calc: {}, strict: {} } }),
  );
  for (const args of [
    ['switch', 'calcc'],
    ['build', 'calcc'],
    ['rollback', 'calcc'],
    ['status', 'calcc'],
  ]) {
    const result = spawnSync(process.execPath, [cli, ...args, '--config', config], { encoding: 'utf8' });
    assert.equal(result.status, 64, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, /calcc is not a managed package/, args.join(' '));
    assert.match(result.stderr, /did you mean calc\?/, args.join(' '));
    assert.doesNotMatch(result.stderr, /internal error/, args.join(' '));
  }
});
