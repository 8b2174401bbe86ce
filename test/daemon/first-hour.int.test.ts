/**
 * What a new user meets in the first hour, through the real daemon: the Nix
 * file gets profiles by package name (not attribute), every running build
 * shows as building with its time and log, `nix-pgo build` overrides the
 * backoff, the config is read again when it changes (a bad one is reported and
 * the running one kept), and a failed build says what failed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { run } from '../../src/process/run.js';
import { cli, daemonPackages, startDaemon, status, stopDaemon, waitFor, writeConfig } from '../support/daemon.js';
import { makeTempDir } from '../support/nix.js';

const pkg = async (setup: Parameters<typeof status>[0], name: string) =>
  (await status(setup)).packages.find((p) => p.name === name);

describe('the first hour', () => {
  it('profiles reach the Nix file keyed by the package name, even when the attribute differs', async () => {
    const dir = makeTempDir('byname');
    const setup = writeConfig(dir, { 'fast-calc': { attr: 'calc' } }, { thresholdCounts: 100 });
    // A Nix file that looks its profile up by the config's package name, as docs/config.md says.
    writeFileSync(
      setup.nixFile,
      `{ pgoProfiles ? { } }: import ${daemonPackages} { pgoProfiles = { calc = pgoProfiles."fast-calc" or null; }; salt = "${randomUUID()}"; }\n`,
    );
    const daemon = startDaemon(setup);
    try {
      const profiling = await waitFor('the profiling variant', async () =>
        (await pkg(setup, 'fast-calc'))?.activeVariant === 'profile' ? true : undefined,
      );
      assert.ok(profiling);
      await run('bash', [
        '-c',
        `eval "$(${process.execPath} ${cli} env --config ${setup.configFile})"; ${join(setup.stateDir, 'profile/bin/calc')} 2 > /dev/null`,
      ]);
      const done = await waitFor('optimized', async () => {
        const p = await pkg(setup, 'fast-calc');
        return p?.state === 'optimized' ? p : p?.lastBuild && !p.lastBuild.ok ? p : undefined;
      });
      assert.equal(done.state, 'optimized', done.reason);
    } finally {
      await stopDaemon(daemon);
    }
  });

  it('a running profiling or optimized build shows as building, with its time and log', async () => {
    const dir = makeTempDir('building');
    const setup = writeConfig(dir, ['slowProfile'], { thresholdCounts: 100 });
    const daemon = startDaemon(setup);
    try {
      const building = await waitFor('the profiling build to show', async () => {
        const p = await pkg(setup, 'slowProfile');
        return p?.building?.variant === 'profile' && p.building.elapsedSeconds >= 1 ? p : undefined;
      });
      assert.equal(building.state, 'building');
      assert.ok(existsSync(building.building!.logFile), 'the log it names is there, growing');
      const text = (await run(process.execPath, [cli, 'status', '--config', setup.configFile])).stdout;
      assert.match(text, /slowProfile: building\n/);
      assert.match(text, /building: the profiling variant, for \d+ s {2}log: \//);
      await waitFor('the profiling variant', async () =>
        (await pkg(setup, 'slowProfile'))?.activeVariant === 'profile' ? true : undefined,
      );
      assert.equal((await pkg(setup, 'slowProfile'))!.building, null);
    } finally {
      await stopDaemon(daemon);
    }
  });

  it('nix-pgo build overrides the backoff of a failed profiling build; the failure names what failed', async () => {
    const dir = makeTempDir('request');
    // Builds run as a build user, who must see the marker.
    chmodSync(dir, 0o755);
    const marker = join(dir, 'fail-now');
    writeFileSync(marker, '');
    const setup = writeConfig(
      dir,
      ['flaky'],
      { retry: { initialDelaySeconds: 3600, maxDelaySeconds: 3600 } },
      {},
      `flakyMarker = ${JSON.stringify(marker)};`,
    );
    const daemon = startDaemon(setup);
    try {
      const failed = await waitFor('the failed profiling build', async () => {
        const p = await pkg(setup, 'flaky');
        return p?.lastBuild && !p.lastBuild.ok ? p : undefined;
      });
      assert.match(
        failed.reason,
        /building the profiling variant of flaky \(flaky\.pgo\.profile in \/.*packages\.nix\) failed: nix-build .*--option substituters '' .* exited with status \d+/,
      );
      assert.match(failed.reason, /the whole log: \//);
      assert.ok(failed.nextRetryAt && Date.parse(failed.nextRetryAt) > Date.now() + 3_000_000, 'an hour of backoff');
      rmSync(marker);
      const asked = await run(process.execPath, [cli, 'build', 'flaky', '--config', setup.configFile]);
      assert.match(
        asked.stdout,
        /the running daemon builds the profiling variant of flaky at its next tick, whatever the backoff/,
      );
      const built = await waitFor(
        'the profiling variant, long before the backoff ends',
        async () => ((await pkg(setup, 'flaky'))?.activeVariant === 'profile' ? true : undefined),
        60_000,
      );
      assert.ok(built);
    } finally {
      await stopDaemon(daemon);
    }
  });

  it('the daemon reads the config again when it changes; a bad one is reported and the running one kept', async () => {
    const dir = makeTempDir('reload');
    const setup = writeConfig(dir, ['calc'], { thresholdCounts: 1e12 });
    const daemon = startDaemon(setup);
    const rewrite = (change: (config: Record<string, unknown>) => void) => {
      const config = JSON.parse(JSON.stringify(baseConfig)) as Record<string, unknown>;
      change(config);
      writeFileSync(setup.configFile, JSON.stringify(config, null, 2));
    };
    const baseConfig = JSON.parse((await import('node:fs')).readFileSync(setup.configFile, 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    try {
      await waitFor('calc profiling', async () =>
        (await pkg(setup, 'calc'))?.activeVariant === 'profile' ? true : undefined,
      );
      rewrite((c) => ((c.packages as Record<string, unknown>).wordfreq = {}));
      await waitFor('wordfreq added without a restart', async () =>
        (await pkg(setup, 'wordfreq'))?.activeVariant === 'profile' ? true : undefined,
      );
      writeFileSync(setup.configFile, '{ "packages": { "calc": { "atr": "calc" } } }');
      await waitFor(
        'the bad config reported',
        async () => (/"event":"config-invalid"[^\n]*atr/.test(daemon.output()) ? true : undefined),
        20_000,
      );
      assert.match(daemon.output(), /"kept":\["calc","wordfreq"\]/);
      rewrite(() => {});
      daemon.kill('SIGHUP');
      await waitFor(
        'the good config read again on SIGHUP',
        async () => (/"event":"config-reloaded","why":"SIGHUP"/.test(daemon.output()) ? true : undefined),
        20_000,
      );
    } finally {
      await stopDaemon(daemon);
    }
  });
});
