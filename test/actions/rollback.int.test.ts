// rollback and switch never go to a profiling build of another version or derivation than the Nix
// file gives without saying so (refused; --force switches and says what it is); reset starts over
// with one of the current derivation; a rollback of the whole profile holds only the packages it
// changes. Through the real CLI, without a daemon, on real Nix builds.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { run } from '../../src/process/run.js';
import { ToolError } from '../../src/errors/errors.js';
import type { Status } from '../../src/status/collect-status.js';
import { cli, cliJson, writeConfig, type TestSetup } from '../support/daemon.js';
import { makeTempDir, repoRoot } from '../support/nix.js';

const fixture = join(repoRoot, 'test/fixtures/upgrade-packages.nix');

async function nixPgo(setup: TestSetup, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args, '--config', setup.configFile]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    if (!(error instanceof ToolError)) throw error;
    return {
      code: Number(/exited with status (\d+)/.exec(error.message)?.[1] ?? -1),
      stdout: '',
      stderr: error.stderr,
    };
  }
}

describe('rollback and switch across an upgrade', { timeout: 600_000 }, () => {
  it('refuses a profiling build of the old version unless forced; reset builds one of the new', async () => {
    const dir = makeTempDir('rollback-upgrade');
    const setup: TestSetup = { ...writeConfig(dir, ['minivm']), nixFile: join(dir, 'minivm.nix') };
    const salt = randomUUID();
    // The package set of the upgrade tests, whose minivm is 1.0 or 1.1.
    const packages = (version: string) =>
      writeFileSync(
        setup.nixFile,
        `{ pgoProfiles ? { } }: import ${fixture} { inherit pgoProfiles; version = "${version}"; salt = "${salt}"; }\n`,
      );
    const config = JSON.parse(readFileSync(setup.configFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(setup.configFile, JSON.stringify({ ...config, nixFile: setup.nixFile }));
    packages('1.0');
    assert.equal((await nixPgo(setup, 'build', 'minivm')).code, 0);

    packages('1.1');
    const refused = await nixPgo(setup, 'rollback', 'minivm');
    assert.equal(refused.code, 75, refused.stderr);
    assert.match(
      refused.stderr,
      /the profiling variant of minivm is a build of minivm-1\.0, and the Nix file now gives minivm-1\.1: switching to it would run, and train, the old build/,
    );
    assert.match(refused.stderr, /hint: start over with a profiling build of the current one: nix-pgo reset minivm/);
    assert.match(refused.stderr, /hint: or switch to the old one anyway: nix-pgo rollback minivm --force/);

    const forced = await nixPgo(setup, 'rollback', 'minivm', '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(
      forced.stdout,
      /note: the profiling variant is a build of minivm-1\.0, and the Nix file now gives minivm-1\.1 \(switched with --force\)/,
    );
    // The one-shot commands speak to a person, not in JSON lines.
    assert.doesNotMatch(forced.stderr, /^\{/m);

    const reset = await nixPgo(setup, 'reset', 'minivm');
    assert.equal(reset.code, 0, reset.stderr);
    const after = (await cliJson<Status>(['status', '--config', setup.configFile])).packages[0]!;
    assert.equal(after.state, 'profiling');
    assert.equal(after.active?.version, '1.1');
    assert.equal(after.held, false);
    assert.deepEqual(
      after.history.map((h) => h.event),
      ['reset'],
    );
    assert.doesNotMatch(reset.stderr, /^\{/m);
    // Now the profiling variant is the current one: no refusal.
    assert.equal((await nixPgo(setup, 'rollback', 'minivm')).code, 0);
  });

  it('a rollback of the whole profile holds the packages it changes, and only those', async () => {
    const setup = writeConfig(makeTempDir('rollback-all'), ['calc', 'calcTwin']);
    assert.equal((await nixPgo(setup, 'build', 'calc')).code, 0);
    assert.equal((await nixPgo(setup, 'build', 'calcTwin')).code, 0);
    const rolled = await nixPgo(setup, 'rollback');
    assert.equal(rolled.code, 0, rolled.stderr);
    assert.match(rolled.stdout, /^ {2}calc: profile \(unchanged\)/m);
    assert.match(rolled.stdout, /^ {2}calcTwin: not in this generation/m);
    const status = await cliJson<Status>(['status', '--config', setup.configFile]);
    const held = Object.fromEntries(status.packages.map((p) => [p.name, p.held]));
    assert.deepEqual(held, { calc: false, calcTwin: true });
  });
});
