// The benchmark runner end to end on the example `calc` (fast, offline): every
// variant is built, measured and counted, and prints what vanilla prints.
// Speeds are not asserted; a few repetitions on a shared machine prove nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { benchProgram } from '../../bench/real/bench-program.js';
import type { Ratios } from '../../bench/real/bench-result.js';
import { isValgrindAvailable } from '../../bench/real/callgrind.js';
import { makeCalcSpec } from '../../bench/real/example-programs.js';
import { formatReport } from '../../bench/real/format-report.js';
import { makeDaemonSource } from '../../bench/real/optimized-source.js';
import type { Summary } from '../../bench/real/statistics.js';
import { VARIANT_NAMES } from '../../bench/real/variants.js';
import { makeTempDir } from '../support/nix.js';

const REPETITIONS = 3;

function assertSummary(summary: Summary, what: string): void {
  assert.equal(summary.n, REPETITIONS, `${what}: one value per repetition`);
  for (const value of [summary.min, summary.q1, summary.median, summary.q3, summary.max]) {
    assert.ok(Number.isFinite(value) && value > 0, `${what}: ${value} is a positive number`);
  }
  assert.ok(
    summary.min <= summary.q1 &&
      summary.q1 <= summary.median &&
      summary.median <= summary.q3 &&
      summary.q3 <= summary.max,
    what,
  );
}

function assertRatios(ratios: Ratios, what: string): void {
  for (const [name, summary] of Object.entries(ratios)) assertSummary(summary, `${what} ${name}`);
}

describe('bench smoke (calc)', () => {
  it('produces well-formed results for every variant, with outputs identical to vanilla', async () => {
    const work = makeTempDir('bench-smoke');
    const callgrind = await isValgrindAvailable();
    const spec = makeCalcSpec();
    const result = await benchProgram(spec, {
      repetitions: REPETITIONS,
      work,
      callgrind,
      nixPgo: makeDaemonSource(work),
      log: () => {},
    });

    assert.equal(result.program, 'calcBolt');
    assert.deepEqual(Object.keys(result.variants).sort(), [...VARIANT_NAMES].sort());
    for (const name of VARIANT_NAMES) {
      assert.ok(existsSync(result.variants[name] ?? ''), `${name}: ${result.variants[name]} exists`);
      assertSummary(result.seconds[name]!, `seconds of ${name}`);
      assert.equal(result.rawSeconds[name]!.length, REPETITIONS);
    }
    assert.match(result.variants['nix-pgo'], /^\/nix\/store\/[a-z0-9]{32}-calc-1\.0\/bin\/calc$/);
    assert.notEqual(result.variants['nix-pgo'], result.variants.vanilla);

    // Correctness: every variant, every measuring workload.
    assert.equal(result.outputs.length, VARIANT_NAMES.length * spec.measure.length);
    assert.deepEqual(
      result.outputs.filter((c) => !c.identical),
      [],
    );
    assert.equal(result.outputsIdentical, true);

    // No raw profile in any output or in the default directory, nothing left in the daemon's spool.
    assert.deepEqual(
      result.checks.filter((c) => !c.ok),
      [],
    );
    assert.equal(result.checksPassed, true);
    assert.deepEqual(
      result.builds.map((b) => b.variant),
      [
        'vanilla',
        'instrumented',
        'nix-pgo',
        'by-hand instrumented',
        'by-hand optimized',
        'bolt-instrumented',
        'nix-pgo+bolt',
      ],
    );
    // BOLT through the daemon: its own store paths, every file of the package optimized, none left in BOLT's directory.
    assert.notEqual(result.variants['nix-pgo+bolt'], result.variants['nix-pgo']);
    assert.notEqual(result.variants['bolt-instrumented'], result.variants['nix-pgo']);
    assert.ok(result.checks.some((c) => c.name.startsWith('the daemon took every BOLT profile') && c.ok));
    for (const build of result.builds)
      assert.ok(Number.isFinite(build.seconds) && build.seconds >= 0, `${build.variant} build time`);
    assert.equal(result.live, null);

    assertRatios(result.ratios, 'total');
    assert.deepEqual(
      Object.keys(result.perWorkload),
      spec.measure.map((w) => w.name),
    );
    for (const [workload, ratios] of Object.entries(result.perWorkload)) assertRatios(ratios, workload);

    if (callgrind) {
      assert.ok(result.instructions, 'instruction counts');
      for (const name of VARIANT_NAMES)
        assert.ok(result.instructions.counts[name]! > 0, `${name} executed instructions`);
      // The BOLT-instrumented build counts its branches on top of the same work.
      assert.ok(result.instructions.counts['bolt-instrumented']! > result.instructions.counts['nix-pgo']);
      assert.ok(result.cache, 'cachegrind counts');
      for (const name of VARIANT_NAMES) {
        const c = result.cache.counts[name]!;
        assert.ok(
          c.instructions > 0 && c.branches > 0 && c.i1Misses >= 0 && c.mispredicts >= 0,
          `${name}: ${JSON.stringify(c)}`,
        );
      }
      // The instrumented build executes its counter updates on top of the same work.
      assert.ok(result.instructions.counts.instrumented > result.instructions.counts.vanilla);
    }

    const report = formatReport([result]);
    assert.match(report, /speedup nix-pgo over vanilla/);
    assert.match(report, /outputs identical to vanilla: yes/);
    assert.match(report, /checks: all passed/);
    assert.match(report, /build time per variant/);
    assert.match(report, /speedup nix-pgo\+bolt over nix-pgo/);
    assert.match(report, /I1 misses/);
    const json = JSON.parse(JSON.stringify(result)) as typeof result;
    assert.deepEqual(json.ratios, result.ratios);
  });
});
