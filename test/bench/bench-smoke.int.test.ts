// The benchmark runner end to end on the example `calc` (fast, offline): every
// variant is built, measured and counted, and prints what vanilla prints.
// Speeds are not asserted; a few repetitions on a shared machine prove nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { benchProgram } from '../../bench/real/bench-program.js';
import type { Ratios } from '../../bench/real/bench-result.js';
import { isValgrindAvailable } from '../../bench/real/cachegrind.js';
import { makeCalcSpec } from '../../bench/real/example-programs.js';
import { formatReport } from '../../bench/real/format-report.js';
import { makeDaemonSource } from '../../bench/real/optimized-source.js';
import type { Summary } from '../../bench/real/statistics.js';
import { VARIANT_NAMES } from '../../bench/real/variants.js';
import { makeTempDir } from '../support/nix.js';

const COPIES = 2;
const REPETITIONS = 2;
const SAMPLES = COPIES * REPETITIONS;

function assertSummary(summary: Summary, what: string): void {
  assert.equal(summary.n, SAMPLES, `${what}: one value per copy and repetition`);
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
      copies: COPIES,
      repetitions: REPETITIONS,
      cpu: 'default',
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
      assert.equal(result.rawSeconds[name]!.length, SAMPLES);
    }
    assert.deepEqual(result.sampleCopies, [0, 0, 1, 1]);
    assert.equal(result.method.copies, COPIES);
    assert.equal(typeof result.method.cpu, 'number', 'pinned to a processor');
    // The same build and training give the same code (a check, since calc's training is deterministic).
    assert.equal(result.sameTraining.sameInstructions, true, JSON.stringify(result.sameTraining));
    assert.match(result.sameTraining.nixPgo.textSha256, /^[0-9a-f]{64}$/);
    assert.notEqual(result.variants.oracle, result.variants['by-hand']);
    assert.notEqual(result.variants['real-use'], result.variants['by-hand']);
    for (const share of Object.values(result.oracleShares.total))
      assert.ok(share.cpu === null || Number.isFinite(share.cpu), JSON.stringify(share));
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
        'real-use optimized',
        'oracle optimized',
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
      assert.ok(result.counts && result.countRatios, 'cachegrind counts');
      for (const workload of spec.measure) {
        for (const name of VARIANT_NAMES) {
          const c = result.counts.perWorkload[workload.name]![name]!;
          assert.ok(
            c.instructions > 0 && c.branches > 0 && c.i1Misses >= 0 && c.mispredicts >= 0,
            `${workload.name} ${name}: ${JSON.stringify(c)}`,
          );
        }
      }
      const total = result.counts.total;
      // The instrumented builds execute their counter updates on top of the same work.
      assert.ok(total.instrumented.instructions > total.vanilla.instructions);
      assert.ok(total['bolt-instrumented']!.instructions > total['nix-pgo'].instructions);
      // The same instructions execute the same work; only the dynamic loader's (other run paths) differs.
      assert.ok(Math.abs(result.countRatios.instructions.total.nixPgoOverByHand - 1) < 1e-4);
    }

    const report = formatReport([result]);
    assert.match(report, /speedup nix-pgo over vanilla/);
    assert.match(
      report,
      /method: CPU time \(user\+sys of the child\), pinned to processor \d+, interleaved; 2 fresh page-cache copies/,
    );
    assert.match(report, /\.text sha256 +nix-pgo [0-9a-f]+/);
    assert.match(report, /IDENTICAL bytes|SAME INSTRUCTIONS/);
    assert.match(report, /share of the oracle's gain/);
    assert.match(report, /speedup oracle over vanilla/);
    assert.match(report, /outputs identical to vanilla: yes/);
    assert.match(report, /checks: all passed/);
    assert.match(report, /build time per variant/);
    assert.match(report, /speedup nix-pgo\+bolt over nix-pgo/);
    assert.match(report, /I1 misses/);
    const json = JSON.parse(JSON.stringify(result)) as typeof result;
    assert.deepEqual(json.ratios, result.ratios);
  });
});
