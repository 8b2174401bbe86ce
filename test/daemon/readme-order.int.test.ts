/**
 * The README's order, for both toolchains: a shell runs `eval "$(nix-pgo env)"`,
 * starts `nix-pgo daemon` from there (so the daemon inherits the profile
 * variables), and runs the instrumented program. Every tool the daemon starts
 * (gcov-tool, llvm-profdata, nix-build, the hook) must not inherit those
 * variables: gcov-tool obeys GCOV_PREFIX and would write its merge into the
 * spool. The package must end optimized with its data, nothing quarantined.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { summarizeGcdaTree } from '../../src/merge/gcda-tree.js';
import { run, startBackground } from '../../src/process/run.js';
import { withDatabase } from '../../src/state/database.js';
import { getPackage } from '../../src/state/package-records.js';
import { stateLayout } from '../../src/state/state-layout.js';
import { cli, status, stopDaemon, waitFor, writeConfig } from '../support/daemon.js';
import { examples, makeTempDir, readManifest } from '../support/nix.js';

const shellEnv = (config: string) => `eval "$(${process.execPath} ${cli} env --config ${config})"`;

for (const [name, toolchain] of [
  ['calc', 'clang'],
  ['wordfreq', 'gcc'],
] as const) {
  test(`${toolchain}: eval "$(nix-pgo env)", then nix-pgo daemon & in the same shell, then the program: optimized`, async () => {
    const dir = makeTempDir(`readme-${toolchain}`);
    // GCC counts each run (gcda run counters), so it waits for all three below: none of them may run the optimized
    // variant, which a loaded machine switches to between the second and the third otherwise.
    const setup = writeConfig(dir, [name], { thresholdCounts: 100, minRuns: toolchain === 'gcc' ? 3 : 2 });
    const daemon = startBackground('bash', [
      '-c',
      `${shellEnv(setup.configFile)}; exec ${process.execPath} ${cli} daemon --config ${setup.configFile} --tick-ms 200`,
    ]);
    try {
      const bin = join(setup.stateDir, 'profile', 'bin', name);
      await waitFor('the profiling variant', async () =>
        (await status(setup)).packages[0]!.activeVariant === 'profile' ? true : undefined,
      );
      const input = join(examples, 'pkgs/calc/src/main.c');
      for (let i = 0; i < 3; i++) {
        await run('bash', [
          '-c',
          `${shellEnv(setup.configFile)}; ${bin} ${toolchain === 'clang' ? '3' : ''} < ${input} > /dev/null`,
        ]);
        await new Promise((r) => setTimeout(r, 300));
      }
      const done = await waitFor('the optimized variant', async () => {
        const p = (await status(setup)).packages[0]!;
        return p.state === 'optimized' ? p : undefined;
      });
      const full = await status(setup);
      assert.deepEqual(full.warnings, [], 'nothing quarantined');
      assert.ok(done.runs >= 2, `runs: ${done.runs}`);
      assert.equal(realpathSync(bin), join(done.activePath!, 'bin', name));
      const manifest = readManifest(done.activePath!);
      assert.equal(manifest.kind, 'optimized');
      if (toolchain === 'gcc') {
        // Every run reaches the merged profile: merges after the first go through gcov-tool, which must not see GCOV_PREFIX.
        await waitFor(
          'all three runs in the merged gcda tree',
          async () => {
            const merged = withDatabase(
              stateLayout(setup.stateDir).database,
              (db) => getPackage(db, name)!.mergedPath!,
            );
            return summarizeGcdaTree(await merged).runs === 3 ? true : undefined;
          },
          60_000,
        );
        const files = readdirSync(manifest.profile!, { recursive: true })
          .map(String)
          .filter((f) => f.endsWith('.gcda'));
        assert.ok(files.length > 0, 'the locked gcda tree holds files');
      }
      assert.doesNotMatch(daemon.output(), /merging .* failed/);
      // Nothing the daemon's tools wrote ended in the spool: only the programs' own files, all harvested.
      const leftovers = readdirSync(setup.spoolDir, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.gcda') || f.endsWith('.profraw'));
      assert.deepEqual(
        leftovers.filter((f) => !f.endsWith('.gcda')),
        [],
        'no raw profile left behind',
      );
    } finally {
      await stopDaemon(daemon);
    }
  });
}
