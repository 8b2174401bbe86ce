// status, doctor and gc only read the daemon's state: on a fresh install they
// work and create nothing, so `sudo nix-pgo status` never leaves a root-owned
// database (or directory) the daemon's own user then cannot open.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../support/daemon.js';
import { makeTempDir } from '../support/nix.js';

const asRoot = process.getuid?.() === 0;

function nixPgo(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function freshInstall(name: string, stateDir: string): string {
  const dir = makeTempDir(name);
  writeFileSync(join(dir, 'packages.nix'), '{ }\n');
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ stateDir, nixFile: './packages.nix', packages: { calc: {}, wordfreq: {} } }));
  return config;
}

describe('status, doctor and gc on a fresh install', () => {
  it('show that nothing happened yet and create nothing in the daemon’s (empty) state directory', () => {
    // The daemon's state directory as the service manager makes it: there, empty, its user's (nobody's here, as root).
    const stateDir = join(makeTempDir('ro-cli'), 'state');
    mkdirSync(stateDir);
    if (asRoot) chownSync(stateDir, 65534, 65534);
    const config = freshInstall('ro-cli-config', stateDir);

    const status = nixPgo('status', '--config', config, '--json');
    assert.equal(status.status, 0, status.stderr);
    const parsed = JSON.parse(status.stdout) as {
      packages: { name: string; state: string; activeVariant: string | null }[];
    };
    assert.deepEqual(
      parsed.packages.map((p) => [p.name, p.state, p.activeVariant]),
      [
        ['calc', 'vanilla', null],
        ['wordfreq', 'vanilla', null],
      ],
    );
    assert.match(nixPgo('status', '--config', config).stdout, /calc/);
    nixPgo('doctor', '--config', config);
    const gc = nixPgo('gc', '--config', config);
    assert.equal(gc.status, 0, gc.stderr);
    assert.deepEqual(readdirSync(stateDir), [], 'no database, no -wal or -shm, nothing');
  });

  it('do not create a state directory that does not exist', () => {
    const stateDir = join(makeTempDir('ro-cli-none'), 'state');
    const config = freshInstall('ro-cli-none-config', stateDir);
    assert.equal(nixPgo('status', '--config', config).status, 0);
    nixPgo('doctor', '--config', config);
    assert.equal(nixPgo('gc', '--config', config).status, 0);
    assert.equal(existsSync(stateDir), false);
  });
});
