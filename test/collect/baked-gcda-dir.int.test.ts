/**
 * GCC builds bake the directory their gcda files go to; the spool keeps that
 * whole path (GCOV_PREFIX_STRIP=0) and the collector attributes files by the
 * manifest's gcdaDir. A library `defaultProfileDir` of another depth than the
 * default must work end to end: Nix build, run with `nix-pgo env`'s variable,
 * harvest, merge.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { run } from '../../src/process/run.js';
import { join } from 'node:path';
import { spoolEnvironment } from '../../src/spool/spool-environment.js';
import { stateLayout } from '../../src/state/state-layout.js';
import { openTestCollector } from '../support/collector.js';
import { prepareSpool } from '../support/spool-fixture.js';
import { examples, makeTempDir, nixBuild, readManifest, repoRoot, runProgram } from '../support/nix.js';

test('gcc: a defaultProfileDir five levels deep is harvested and merged', async () => {
  const work = makeTempDir('baked');
  const deep = '/var/tmp/nix-pgo-test/deeper/profile/dir';
  const entry = join(work, 'packages.nix');
  writeFileSync(
    entry,
    `import ${examples} { nix-pgo = import ${repoRoot}/nix { defaultProfileDir = ${JSON.stringify(deep)}; }; }\n`,
  );
  const out = await nixBuild(work, [entry, '-A', 'wordfreq.pgo.profile']);
  const manifest = readManifest(out);
  assert.ok(manifest.gcdaDir!.startsWith(`${deep}/gcda/`), manifest.gcdaDir!);

  const layout = stateLayout(join(work, 'state'));
  prepareSpool(layout.spoolDir);
  const input = readFileSync(join(examples, 'pkgs/calc/src/main.c'), 'utf8');
  const env = { ...process.env, ...spoolEnvironment(layout.spoolDir) };
  for (let i = 0; i < 3; i++) await runProgram(join(out, 'bin/wordfreq'), [], { env, input });

  const collector = openTestCollector({
    layout,
    packages: [{ name: 'wordfreq', manifestPath: join(out, 'nix-support/pgo.json') }],
  });
  try {
    const report = await collector.runOnce();
    assert.equal(report.harvested.quarantined, 0, 'nothing quarantined');
    const pkg = report.status.packages.find((p) => p.name === 'wordfreq')!;
    assert.equal(pkg.generation, 1);
    assert.equal(pkg.runs, 3);
  } finally {
    collector.close();
  }
});

test("gcc: with only NIX_PGO_SPOOL set (as for a service), each user's program writes below its own uid, and both are harvested", async () => {
  const work = makeTempDir('gcda-root');
  chmodSync(work, 0o755);
  const out = await nixBuild(work, [examples, '-A', 'wordfreq.pgo.profile']);
  const layout = stateLayout(join(work, 'state'));
  prepareSpool(layout.spoolDir);
  chmodSync(join(work, 'state'), 0o755);
  const gcdaRoot = join(layout.spoolDir, 'gcda');
  const input = readFileSync(join(examples, 'pkgs/calc/src/main.c'), 'utf8');
  // A service's environment: the same for every user; no GCOV_PREFIX at all.
  const env = { PATH: process.env.PATH, NIX_PGO_SPOOL: layout.spoolDir };
  for (const uid of [process.getuid!(), 65534])
    await run(join(out, 'bin/wordfreq'), [], { env, input, user: { uid, gid: uid } });
  assert.deepEqual(readdirSync(gcdaRoot).sort(), [String(process.getuid!()), '65534'].sort());
  const collector = openTestCollector({
    layout,
    packages: [{ name: 'wordfreq', manifestPath: join(out, 'nix-support/pgo.json'), trust: { anyone: true } }],
  });
  try {
    const report = await collector.runOnce();
    assert.equal(report.harvested.quarantined, 0);
    assert.equal(report.status.packages.find((p) => p.name === 'wordfreq')!.runs, 2);
  } finally {
    collector.close();
  }
});
