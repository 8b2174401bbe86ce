/**
 * The `harvest` and `env` commands: env prints the variables that route a
 * program's profile into the spool, and one harvest pass then merges it and
 * reports the package's metrics (text and JSON data).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { envCommand } from '../../src/cli/commands/env.js';
import { harvestCommand } from '../../src/cli/commands/harvest.js';
import { parseArgs } from '../../src/cli/parse-args.js';
import { InputError } from '../../src/errors/errors.js';
import { run } from '../../src/process/run.js';
import { cli } from '../support/daemon.js';
import { buildClangExample, prepareSpool, tempDir } from '../support/spool-fixture.js';

test('env then harvest: the printed variables route profiles to the spool that harvest merges', async () => {
  const root = tempDir('cli');
  const example = await buildClangExample(root, 'clihello');
  const stateDir = join(root, 'state');
  const config = join(root, 'config.json');
  writeFileSync(config, JSON.stringify({ stateDir, spoolDir: join(stateDir, 'spool') }));

  const env = await envCommand.run({ positionals: [], options: { config } });
  const text = envCommand.render(env);
  assert.equal(text, `export NIX_PGO_SPOOL=${join(stateDir, 'spool')}`);
  // The spool as the daemon (or a first harvest) makes it: programs write nothing before it exists.
  prepareSpool(join(stateDir, 'spool'));
  const variables = Object.fromEntries(
    text.split('\n').map((l) => l.replace(/^export /, '').split('=') as [string, string]),
  );
  await run(example.exe, [], { env: { ...process.env, ...variables } });

  const report = await harvestCommand.run({
    positionals: [`${example.name}=${example.manifestPath}`],
    options: { config },
  });
  assert.equal(report.harvested.taken, 2, 'one file for the program, one for its library');
  const pkg = report.status.packages.find((p) => p.name === example.name)!;
  assert.equal(pkg.generation, 1);
  // main, twice and lib_work run; inc is never called and square is inlined.
  assert.equal(pkg.functionsNonzero, 3);
  assert.match(harvestCommand.render(report), /clihello: generation 1, merged/);
  assert.equal(harvestCommand.exitCode!(report), 0);

  await assert.rejects(harvestCommand.run({ positionals: ['no-equals-sign'], options: { config } }), InputError);
  assert.throws(() => parseArgs(['--uid', 'x', '--spool-dir', '/s'], envCommand.options, 'env'), InputError);
});

test('harvest with a manifest that does not exist or is not a manifest exits 65 and names it', () => {
  const root = tempDir('cli-bad');
  const config = join(root, 'config.json');
  writeFileSync(config, JSON.stringify({ stateDir: join(root, 'state') }));
  const missing = spawnSync(process.execPath, [cli, 'harvest', 'calc=/nonexistent/pgo.json', '--config', config], {
    encoding: 'utf8',
  });
  assert.equal(missing.status, 65, missing.stderr);
  assert.match(missing.stderr, /calc: cannot read the manifest \/nonexistent\/pgo\.json \(ENOENT\)/);
  const notManifest = join(root, 'pgo.json');
  writeFileSync(notManifest, '{"nixPgo": 2}');
  const bad = spawnSync(process.execPath, [cli, 'harvest', `calc=${notManifest}`, '--config', config], {
    encoding: 'utf8',
  });
  assert.equal(bad.status, 65, bad.stderr);
  assert.match(bad.stderr, /invalid profiling manifest/);
});
