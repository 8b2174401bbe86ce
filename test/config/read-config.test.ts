import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigInvalidError } from '../../src/config/config-invalid-error.js';
import { inspectConfig, readConfig } from '../../src/config/read-config.js';

let dir = '';
const env = () => ({ HOME: dir });

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nix-pgo-config-'));
  await writeFile(path.join(dir, 'pkgs.nix'), '{ }\n');
  await mkdir(path.join(dir, 'with-default'));
  await writeFile(path.join(dir, 'with-default', 'default.nix'), '{ }\n');
  await mkdir(path.join(dir, 'empty-dir'));
  await writeFile(path.join(dir, 'hook'), '#!/bin/sh\ncat >/dev/null\n');
  await chmod(path.join(dir, 'hook'), 0o755);
  await writeFile(path.join(dir, 'not-executable'), '#!/bin/sh\n');
  await chmod(path.join(dir, 'not-executable'), 0o644);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(name: string, document: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify(document));
  return file;
}

describe('readConfig', () => {
  it('reads a valid file, relative to the cwd given', async () => {
    await writeConfig('good.json', {
      nixFile: './pkgs.nix',
      notify: { hook: './hook' },
      packages: { hello: {}, tree: { nixFile: 'with-default' } },
    });
    const config = await readConfig({ file: 'good.json', cwd: dir, env: env() });
    assert.equal(config.file, path.join(dir, 'good.json'));
    assert.deepEqual(
      config.packages.map((p) => p.nixFile),
      [path.join(dir, 'pkgs.nix'), path.join(dir, 'with-default')],
    );
    assert.equal(config.notify.hook, path.join(dir, 'hook'));
  });

  it('reports files that are missing, not executable or not Nix, together with the parse problems', async () => {
    const file = await writeConfig('bad-files.json', {
      notify: { hook: './not-executable' },
      policy: { minRuns: -1 },
      packages: { a: { nixFile: './missing.nix' }, b: { nixFile: './empty-dir' } },
    });
    const report = await inspectConfig({ file, env: env() });
    assert.equal(report.config, null);
    assert.deepEqual(report.problems.map((p) => p.path).sort(), [
      'notify.hook',
      'packages.a.nixFile',
      'packages.b.nixFile',
      'policy.minRuns',
    ]);
    const byPath = Object.fromEntries(report.problems.map((p) => [p.path, p]));
    assert.match(byPath['notify.hook']?.fix ?? '', /chmod \+x/);
    assert.match(byPath['packages.a.nixFile']?.message ?? '', /does not exist/);
    assert.match(byPath['packages.b.nixFile']?.message ?? '', /default\.nix/);
    await assert.rejects(
      readConfig({ file, env: env() }),
      (error: unknown) => error instanceof ConfigInvalidError && error.problems.length === 4,
    );
  });

  it('treats a named file that does not exist as a problem', async () => {
    const report = await inspectConfig({ file: path.join(dir, 'absent.json'), env: env() });
    assert.equal(report.source, 'argument');
    assert.equal(report.config, null);
    assert.equal(report.exists, false);
    assert.deepEqual(report.problems, [
      { path: '', message: 'does not exist', fix: 'give the path of an existing config file' },
    ]);
  });

  it('treats an absent default config as the defaults with no packages', async () => {
    const report = await inspectConfig({ env: env() });
    assert.equal(report.file, path.join(dir, '.config', 'nix-pgo', 'config.json'));
    assert.equal(report.source, 'default');
    assert.equal(report.exists, false);
    assert.deepEqual(report.config?.packages, []);
    assert.equal(report.config?.stateDir, path.join(dir, '.local', 'state', 'nix-pgo'));
  });

  it('treats a file named by NIX_PGO_CONFIG that does not exist as a problem, not as the defaults', async () => {
    const missing = path.join(dir, 'absent-from-env.json');
    const report = await inspectConfig({ env: { ...env(), NIX_PGO_CONFIG: missing } });
    assert.equal(report.file, missing);
    assert.equal(report.source, 'NIX_PGO_CONFIG');
    assert.equal(report.config, null);
    assert.equal(report.exists, false);
    assert.deepEqual(
      report.problems.map((p) => p.message),
      ['does not exist (named by $NIX_PGO_CONFIG)'],
    );
    await assert.rejects(
      readConfig({ env: { ...env(), NIX_PGO_CONFIG: missing } }),
      (error: unknown) => error instanceof ConfigInvalidError && error.file === missing,
    );
  });

  it('resolves a relative NIX_PGO_CONFIG against the cwd', async () => {
    await writeConfig('relative.json', { nixFile: './pkgs.nix', packages: { lz4: {} } });
    const config = await readConfig({ cwd: dir, env: { ...env(), NIX_PGO_CONFIG: 'relative.json' } });
    assert.deepEqual(
      config.packages.map((p) => p.name),
      ['lz4'],
    );
  });

  it('finds the default config through NIX_PGO_CONFIG', async () => {
    const file = await writeConfig('from-env.json', { nixFile: './pkgs.nix', packages: { zstd: {} } });
    const config = await readConfig({ env: { ...env(), NIX_PGO_CONFIG: file } });
    assert.deepEqual(
      config.packages.map((p) => p.name),
      ['zstd'],
    );
  });
});
