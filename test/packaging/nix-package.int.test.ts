// The `nix-pgo` Nix package: `nix-build -A nix-pgo` in a clean clone (the
// repository's files without node_modules, dist or build) gives a command that
// runs from any directory, with no PATH at all, and finds Nix by itself.
// Without <nixpkgs> on the search path (as on this machine) the package is
// built on the host's Node.js and Nix (examples/pkgs/nix-pgo).
//
// Cache-friendly: its three derivations depend on package-lock.json, then on
// the sources nix-pgo needs, so a second run builds nothing, and an edit of
// src/ rebuilds only the last one (tsc).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { run } from '../../src/process/run.js';
import { makeTempDir, repoRoot } from '../support/nix.js';

const offline = ['--option', 'substituters', ''];
const work = makeTempDir('package');
const clone = join(work, 'clone');
const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
// No <nixpkgs>: the host variant, whatever NIX_PATH the caller has.
const nixEnv = { ...process.env, NIX_PATH: '' };

/** What a clone of the working tree would hold: tracked and new files, nothing git ignores. */
async function cleanClone(target: string): Promise<void> {
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: repoRoot,
  });
  for (const file of stdout.split('\0').filter(Boolean)) {
    const from = join(repoRoot, file);
    if (!existsSync(from) || lstatSync(from).isDirectory()) continue; // deleted in the working tree, or a submodule
    mkdirSync(dirname(join(target, file)), { recursive: true });
    copyFileSync(from, join(target, file));
  }
}

describe('the nix-pgo Nix package', { timeout: 1_200_000 }, () => {
  let result = '';

  before(async () => {
    await cleanClone(clone);
    assert.ok(!existsSync(join(clone, 'node_modules')) && !existsSync(join(clone, 'dist')));
    await run('nix-build', [...offline, '-A', 'nix-pgo'], { cwd: clone, env: nixEnv, timeoutMs: 1_200_000 });
    result = join(clone, 'result');
  });

  it('`result/bin/nix-pgo --version` works from another directory with an empty environment', async () => {
    const elsewhere = makeTempDir('elsewhere');
    const { stdout } = await run(join(result, 'bin/nix-pgo'), ['--version'], { cwd: elsewhere, env: {} });
    assert.equal(stdout.trim(), `nix-pgo ${version}`);
  });

  it('its SQLite and record-lock addons load, and it finds nix-build & co. without a PATH', async () => {
    const dir = makeTempDir('package-state');
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({ stateDir: join(dir, 'state'), nixFile: join(repoRoot, 'examples'), packages: { calc: {} } }),
    );
    const env = { HOME: dir };
    const status = JSON.parse(
      (await run(join(result, 'bin/nix-pgo'), ['status', '--config', config, '--json'], { cwd: dir, env })).stdout,
    ) as {
      packages: { name: string; state: string }[];
    };
    assert.deepEqual(
      status.packages.map((p) => [p.name, p.state]),
      [['calc', 'vanilla']],
    );
    await run(join(result, 'bin/nix-pgo'), ['harvest', '--config', config], { cwd: dir, env });
    // doctor exits 1 when any check fails (here: LLVM_PROFILE_FILE is unset); its report is on stdout either way.
    const doctorRun = spawnSync(join(result, 'bin/nix-pgo'), ['doctor', '--config', config, '--json'], {
      cwd: dir,
      env,
      encoding: 'utf8',
    });
    const doctor = JSON.parse(doctorRun.stdout) as { checks: { name: string; ok: boolean; detail: string }[] };
    for (const name of ['nix-build', 'nix-store', 'nix-env', 'nix-instantiate', 'nix evaluation']) {
      const check = doctor.checks.find((c) => c.name === name);
      assert.ok(check?.ok, `doctor: ${name}: ${check?.detail ?? 'missing'}`);
    }
  });

  it('ships the runtime files only: no TypeScript compiler, the Nix library next to the code', async () => {
    const lib = join(result, 'lib/node_modules/nix-pgo');
    assert.ok(existsSync(join(lib, 'nix/locked-profile.nix')));
    assert.ok(existsSync(join(lib, 'build/Release/record_lock.node')));
    assert.ok(existsSync(join(lib, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')));
    assert.ok(!existsSync(join(lib, 'node_modules/typescript')));
    assert.ok(!existsSync(join(lib, 'dist/test')));
  });

  it('the fixed-output node_modules is the same when fetched again (its NAR hash is stable)', async () => {
    // `--check` builds it once more and fails on any difference from the stored output.
    await run('nix-build', [...offline, '--check', '--no-out-link', '-A', 'nix-pgo.npmDeps'], {
      cwd: clone,
      env: nixEnv,
      timeoutMs: 600_000,
    });
  });
});
