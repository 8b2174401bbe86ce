// PGO, then BOLT, on real Nix through the real CLI and daemon: the profiling
// variant, instrumented runs, the PGO-optimized variant; then by itself the
// BOLT-instrumented variant (its directory created 1733 first), its runs, the
// BOLT-optimized variant; the same output at every step; the lock file
// rebuilds the final binary; status says what BOLT did to each file; a user
// can step back to the PGO-optimized variant and forward again.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/process/run.js';
import { parseLockFile } from '../../src/store/lock-file.js';
import { substituterOptions } from '../../src/tools/nix-common.js';
import { makeTempDir, readManifest, repoRoot, runProgram } from '../support/nix.js';
import {
  cli,
  cliJson,
  runInstrumented,
  startDaemon,
  status,
  stopDaemon,
  waitFor,
  writeConfig,
} from '../support/daemon.js';

const offline = substituterOptions(false);

describe('BOLT after PGO, end to end', () => {
  it('profiles, PGO-optimizes, BOLT-instruments, BOLT-optimizes, switches at each step, and the lock file rebuilds it', async () => {
    const dir = makeTempDir('bolt-e2e');
    const baked = join(dir, 'baked');
    const setup = writeConfig(
      dir,
      { calcBolt: { bolt: { policy: { thresholdCounts: 100, minRuns: 2 } } } },
      { thresholdCounts: 1000 },
      {},
      `profileDir = "${baked}";`,
    );
    const program = join(setup.stateDir, 'profile', 'bin', 'calc');
    const find = async () => (await status(setup)).packages.find((p) => p.name === 'calcBolt')!;
    const daemon = startDaemon(setup);
    try {
      const profiling = await waitFor('the profiling variant', async () =>
        (await find()).activeVariant === 'profile' ? find() : undefined,
      );
      const expected = await runProgram(join(profiling.activePath!, 'bin/calc'), ['3']);
      for (let i = 0; i < 2; i++) await runInstrumented(setup, program, ['3']);

      // PGO-optimized, then at once the BOLT-instrumented variant of exactly that build.
      const boltProfiling = await waitFor(
        'the BOLT-instrumented variant',
        async () => {
          const p = await find();
          return p.state === 'bolt-profiling' ? p : undefined;
        },
        300_000,
      );
      assert.equal(boltProfiling.activeVariant, 'bolt-profile');
      const instrumented = readManifest(boltProfiling.activePath!) as unknown as {
        kind: string;
        boltDir: string;
        binaries: { outcome: string }[];
      };
      assert.equal(instrumented.kind, 'bolt-profile');
      assert.equal(instrumented.boltDir, join(baked, 'bolt'));
      assert.deepEqual(
        instrumented.binaries.map((b) => b.outcome),
        ['instrumented', 'instrumented'],
      );
      assert.equal(
        statSync(instrumented.boltDir).mode & 0o7777,
        0o1733,
        'the daemon made the directory its programs write to',
      );
      assert.equal(realpathSync(program), join(boltProfiling.activePath!, 'bin/calc'));
      const pgoOptimized = boltProfiling.bolt!;
      assert.ok(pgoOptimized, 'status has a BOLT section');

      // BOLT-instrumented runs write their profiles at exit; the daemon takes them once the program is gone.
      assert.equal(await runProgram(program, ['3']), expected);
      await Promise.all([runProgram(program, ['3']), runProgram(program, ['3'])]);
      const done = await waitFor(
        'the BOLT-optimized variant',
        async () => {
          const p = await find();
          return p.state === 'bolt-optimized' ? p : undefined;
        },
        300_000,
      );
      assert.equal(done.activeVariant, 'bolt-optimized');
      assert.equal(realpathSync(program), join(done.activePath!, 'bin/calc'));
      assert.equal(
        await runProgram(program, ['3']),
        expected,
        'the BOLT-optimized program prints what the vanilla one prints',
      );
      const final = readManifest(done.activePath!) as unknown as {
        kind: string;
        profile: string;
        smokeTest: string;
        binaries: { path: string; outcome: string }[];
      };
      assert.equal(final.kind, 'bolt-optimized');
      assert.equal(final.smokeTest, 'passed');
      assert.deepEqual(
        final.binaries.map((b) => [b.path, b.outcome]),
        [
          ['bin/calc', 'optimized'],
          ['lib/libcalc.so', 'optimized'],
        ],
      );
      assert.equal(final.profile, done.bolt!.profileStorePath);
      assert.ok(done.bolt!.runs >= 3, `BOLT runs counted: ${done.bolt!.runs}`);
      assert.deepEqual(
        done.bolt!.files.map((f) => [f.path, f.outcome]),
        [
          ['bin/calc', 'optimized'],
          ['lib/libcalc.so', 'optimized'],
        ],
      );
      const text = (await run(process.execPath, [cli, 'status', 'calcBolt', '--config', setup.configFile])).stdout;
      assert.match(text, /calcBolt: bolt-optimized/);
      assert.match(text, /bolt: +\[#+\] 100%/);
      assert.match(text, /bin\/calc: optimized/);

      // The lock file names both profiles; an evaluation from it alone is the same derivation.
      const lockFile = join(setup.stateDir, 'pgo-lock.json');
      const lock = parseLockFile(readFileSync(lockFile, 'utf8'), lockFile);
      assert.equal(lock.boltProfiles?.calcBolt?.storePath, done.bolt!.profileStorePath);
      assert.equal(lock.packages.calcBolt?.storePath, done.profileStorePath);
      const rebuilt = await run('nix-build', [
        ...offline,
        '--no-out-link',
        setup.nixFile,
        '-A',
        'calcBolt.pgo.boltOptimized',
        '--arg',
        'pgoProfiles',
        `import ${repoRoot}/nix/lock.nix { lockFile = ${lockFile}; }`,
        '--arg',
        'boltProfiles',
        `import ${repoRoot}/nix/lock.nix { lockFile = ${lockFile}; bolt = true; }`,
      ]);
      assert.equal(rebuilt.stdout.trim(), done.activePath);
    } finally {
      assert.equal(await stopDaemon(daemon), 0, daemon.output());
    }

    // Back to the PGO-optimized variant by hand (held there), and forward to the best one.
    const back = await cliJson<{ variant: string; storePath: string }>([
      'switch',
      'calcBolt',
      'optimized',
      '--config',
      setup.configFile,
    ]);
    assert.equal(back.variant, 'optimized');
    const held = await find();
    assert.equal(held.state, 'optimized');
    assert.equal(held.held, true);
    assert.equal(realpathSync(program), join(back.storePath, 'bin/calc'));
    const forward = await cliJson<{ variant: string }>(['switch', 'calcBolt', '--config', setup.configFile]);
    assert.equal(forward.variant, 'bolt-optimized');
    assert.equal((await find()).state, 'bolt-optimized');
  });
});
