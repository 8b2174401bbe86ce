// The human-readable report: per program, the medians and spreads of the
// per-repetition ratios, then seconds, callgrind instruction counts and
// cachegrind's instruction-cache misses and mispredicted branches.
import type { ProgramResult, Ratios } from './bench-result.js';
import type { LiveTrainingResult } from './program-spec.js';
import type { Summary } from './statistics.js';
import { presentVariants } from './variants.js';

const RATIO_ROWS: { key: keyof Ratios; label: string }[] = [
  { key: 'nixPgoOverVanilla', label: 'speedup nix-pgo over vanilla -O2' },
  { key: 'nixPgoOverByHand', label: 'nix-pgo over by-hand (target >= 1.00)' },
  { key: 'byHandOverVanilla', label: 'speedup by-hand over vanilla -O2' },
  { key: 'instrumentedSlowdown', label: 'slowdown of the instrumented variant' },
  { key: 'boltOverNixPgo', label: 'speedup nix-pgo+bolt over nix-pgo' },
  { key: 'boltOverVanilla', label: 'speedup nix-pgo+bolt over vanilla -O2' },
  { key: 'boltInstrumentedSlowdown', label: 'slowdown of bolt-instrumented / nix-pgo' },
];

const f3 = (x: number) => x.toFixed(3);

function formatRatioLine(label: string, s: Summary): string {
  return `  ${label.padEnd(40)} ${f3(s.median)}   IQR ${f3(s.q1)}-${f3(s.q3)}   min/max ${f3(s.min)}/${f3(s.max)}`;
}

export function formatProgram(result: ProgramResult): string {
  const lines = [
    `== ${result.program}: ${result.repetitions} interleaved repetitions`,
    `  trained on:  ${result.trainingWorkloads.join(', ')}`,
    `  measured on: ${result.measuringWorkloads.join(', ')}`,
    `  nix-pgo variant: ${result.nixPgoSource}`,
    `  outputs identical to vanilla: ${result.outputsIdentical ? 'yes' : 'NO'}`,
  ];
  for (const check of result.outputs.filter((c) => !c.identical))
    lines.push(`    differs: ${check.variant} on ${check.workload}`);
  lines.push(`  checks: ${result.checksPassed ? 'all passed' : 'FAILED'}`);
  for (const check of result.checks) lines.push(`    ${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`);
  lines.push('  build time per variant:');
  for (const build of result.builds) {
    lines.push(
      `    ${build.variant.padEnd(21)} ${build.built ? `${(build.seconds / 60).toFixed(1)} min` : `from the store (${build.seconds.toFixed(0)} s to evaluate)`}`,
    );
  }
  if (result.live) lines.push(...formatLive(result.live));
  if (result.boltFiles) {
    lines.push('  what BOLT did with each file:');
    for (const f of result.boltFiles) lines.push(`    ${f.path}: ${f.outcome}${f.reason ? ` (${f.reason})` : ''}`);
  }
  lines.push('  ratios per repetition (median, IQR, min/max):');
  for (const row of RATIO_ROWS) {
    const summary = result.ratios[row.key];
    if (summary) lines.push(formatRatioLine(row.label, summary));
  }
  const names = presentVariants(result.seconds);
  lines.push('  seconds per repetition (median, min/max):');
  for (const name of names) {
    const s = result.seconds[name]!;
    lines.push(`    ${name.padEnd(17)} ${f3(s.median)} s   ${f3(s.min)}/${f3(s.max)}`);
  }
  lines.push('  median speedup over vanilla per workload:');
  for (const [workload, ratios] of Object.entries(result.perWorkload)) {
    const bolt = ratios.boltOverNixPgo ? `, nix-pgo+bolt/nix-pgo ${f3(ratios.boltOverNixPgo.median)}` : '';
    lines.push(
      `    ${workload.padEnd(24)} ${f3(ratios.nixPgoOverVanilla.median)}   ` +
        `(nix-pgo/by-hand ${f3(ratios.nixPgoOverByHand.median)}, instrumented ${f3(ratios.instrumentedSlowdown.median)}${bolt})`,
    );
  }
  const ins = result.instructions;
  if (ins) {
    lines.push(`  instructions (callgrind, "${ins.workload}"):`);
    for (const name of presentVariants(ins.counts))
      lines.push(`    ${name.padEnd(17)} ${ins.counts[name]!.toLocaleString('en-US')}`);
    lines.push(
      `    vanilla/nix-pgo ${f3(ins.nixPgoOverVanilla)}   by-hand/nix-pgo ${f3(ins.nixPgoOverByHand)}   ` +
        `vanilla/by-hand ${f3(ins.byHandOverVanilla)}   instrumented/vanilla ${f3(ins.instrumentedSlowdown)}` +
        (ins.boltOverNixPgo === undefined ? '' : `   nix-pgo/nix-pgo+bolt ${f3(ins.boltOverNixPgo)}`),
    );
  }
  if (result.cache) lines.push(...formatCache(result.cache));
  return lines.join('\n');
}

/** Cachegrind's counts per variant, with each one's I1 misses and mispredictions per thousand instructions. */
export function formatCache(cache: NonNullable<ProgramResult['cache']>): string[] {
  const n = (x: number) => x.toLocaleString('en-US');
  const perKilo = (x: number, of: number) => ((1000 * x) / of).toFixed(2);
  const lines = [`  instruction cache and branch predictor (cachegrind, 32 KiB 8-way I1, "${cache.workload}"):`];
  lines.push(
    `    ${'variant'.padEnd(17)} ${'instructions'.padStart(16)} ${'I1 misses'.padStart(13)} ${'per 1k'.padStart(7)} ${'mispredicts'.padStart(13)} ${'per 1k'.padStart(7)}`,
  );
  for (const name of presentVariants(cache.counts)) {
    const c = cache.counts[name]!;
    lines.push(
      `    ${name.padEnd(17)} ${n(c.instructions).padStart(16)} ${n(c.i1Misses).padStart(13)} ${perKilo(c.i1Misses, c.instructions).padStart(7)} ` +
        `${n(c.mispredicts).padStart(13)} ${perKilo(c.mispredicts, c.instructions).padStart(7)}`,
    );
  }
  return lines;
}

/** The long-running part of the training, and what the daemon's status showed while it ran. */
export function formatLive(live: LiveTrainingResult): string[] {
  const lines = [`  long-running training: ${live.program}, ${live.steps.length} requests`];
  const o = live.observation;
  if (!o) return lines;
  const p = o.package as {
    live?: { running: number; lastSnapshot: string | null } | null;
    mergeGeneration?: number;
    bytesHarvested?: number;
    runs?: number;
  };
  const b = o.before as { mergeGeneration?: number };
  lines.push(
    `    status while it ran (${o.at}): ${p.live ? `${p.live.running} live profile(s) of running programs, last read ${p.live.lastSnapshot}` : 'no live profile'}; ` +
      `merge generation ${b.mergeGeneration ?? '?'} before it started, ${p.mergeGeneration ?? '?'} then; ` +
      `${live.runningWhenObserved ? 'it still ran after the status was read' : 'it had stopped by then'}`,
  );
  return lines;
}

export function formatReport(results: readonly ProgramResult[]): string {
  return `${results.map(formatProgram).join('\n\n')}\n`;
}
