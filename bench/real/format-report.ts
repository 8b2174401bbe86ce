// The human-readable report: per program, how it was measured, the
// same-training identity, the ratios (CPU time: median, IQR, n; instructions
// and I1 misses beside them), each variant's share of the oracle's gain, then
// per workload every variant's CPU seconds with its counts.
import type { CountRatios, OracleShares, ProgramResult, Ratios } from './bench-result.js';
import type { TimingMethod } from './measure.js';
import type { LiveTrainingResult } from './program-spec.js';
import type { Summary } from './statistics.js';
import { presentVariants } from './variants.js';

const RATIO_ROWS: { key: keyof Ratios; label: string }[] = [
  { key: 'nixPgoOverByHand', label: 'nix-pgo over by-hand, same training (>= 1.00)' },
  { key: 'nixPgoOverVanilla', label: 'speedup nix-pgo over vanilla -O2' },
  { key: 'byHandOverVanilla', label: 'speedup by-hand over vanilla -O2' },
  { key: 'realUseOverVanilla', label: 'speedup real-use over vanilla -O2' },
  { key: 'oracleOverVanilla', label: 'speedup oracle over vanilla -O2' },
  { key: 'instrumentedSlowdown', label: 'slowdown of the instrumented variant' },
  { key: 'boltOverNixPgo', label: 'speedup nix-pgo+bolt over nix-pgo' },
  { key: 'boltOverVanilla', label: 'speedup nix-pgo+bolt over vanilla -O2' },
  { key: 'boltInstrumentedSlowdown', label: 'slowdown of bolt-instrumented / nix-pgo' },
];

const f3 = (x: number) => x.toFixed(3);
const f2 = (x: number | null) => (x === null ? '  -  ' : x.toFixed(2).padStart(5));
const thousands = (x: number) => x.toLocaleString('en-US');

/** One line saying how every time of the program was taken. */
export function describeMethod(method: TimingMethod): string {
  const pinned = method.cpu === null ? 'not pinned' : `pinned to processor ${method.cpu}`;
  return (
    `CPU time (user+sys of the child), ${pinned}, interleaved; ${method.copies} fresh page-cache copies per variant ` +
    `x ${method.repetitionsPerCopy} repetitions, paired copy by copy (n=${method.copies * method.repetitionsPerCopy})`
  );
}

function formatSummary(s: Summary): string {
  return `${f3(s.median)}  IQR ${f3(s.q1)}-${f3(s.q3)}  n=${s.n}`;
}

function formatCountRatio(label: string, ratios: CountRatios | undefined, key: keyof Ratios): string {
  const value = ratios?.[key];
  return value === undefined ? '' : `  ${label} ${f3(value)}`;
}

function formatRatioRows(
  ratios: Ratios,
  instructions: CountRatios | undefined,
  i1Misses: CountRatios | undefined,
  indent: string,
): string[] {
  const lines: string[] = [];
  for (const row of RATIO_ROWS) {
    const summary = ratios[row.key];
    if (!summary) continue;
    lines.push(
      `${indent}${row.label.padEnd(47)} ${formatSummary(summary)}` +
        formatCountRatio('| instructions', instructions, row.key) +
        formatCountRatio(' I1 misses', i1Misses, row.key),
    );
  }
  return lines;
}

function formatShares(shares: OracleShares): string {
  return Object.entries(shares)
    .map(([variant, s]) => `${variant} ${f2(s.cpu).trim()} / ${f2(s.instructions).trim()}`)
    .join(', ');
}

export function formatProgram(result: ProgramResult): string {
  const lines = [
    `== ${result.program}`,
    `  method: ${describeMethod(result.method)}`,
    `  trained on:          ${result.trainingWorkloads.join(', ')}  (nix-pgo, by-hand, BOLT)`,
    `  real-use trained on: ${result.realUseWorkloads.join(', ')}`,
    '  oracle trained on:   the measuring workloads themselves',
    `  measured on:         ${result.measuringWorkloads.join(', ')}`,
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
  lines.push(...formatSameTraining(result));
  const ins = result.countRatios?.instructions;
  const i1 = result.countRatios?.i1Misses;
  lines.push(
    '  ratios over all workloads (CPU time per sample: median, IQR, n | cachegrind, one run per workload, summed):',
  );
  lines.push(...formatRatioRows(result.ratios, ins?.total, i1?.total, '    '));
  lines.push(`  share of the oracle's gain (CPU time / instructions): ${formatShares(result.oracleShares.total)}`);
  lines.push('  per workload:');
  for (const workload of result.measuringWorkloads) lines.push(...formatWorkload(result, workload));
  lines.push(...formatNoise(result));
  return lines.join('\n');
}

function formatSameTraining(result: ProgramResult): string[] {
  const same = result.sameTraining;
  const verdict = same.identicalText
    ? 'IDENTICAL bytes'
    : same.sameInstructions
      ? 'SAME INSTRUCTIONS (only data addresses differ)'
      : same.required
        ? 'DIFFERENT (a check failed)'
        : 'different (its training is not deterministic: printed, not required)';
  const ratio = result.ratios.nixPgoOverByHand;
  const ins = result.countRatios?.instructions.total.nixPgoOverByHand;
  return [
    `  same training: nix-pgo and by-hand, one build script, both trained on ${same.training.join(', ')}`,
    `    .text sha256  nix-pgo ${same.nixPgo.textSha256.slice(0, 24)}… (${thousands(same.nixPgo.textBytes)} bytes)`,
    `                  by-hand ${same.byHand.textSha256.slice(0, 24)}… (${thousands(same.byHand.textBytes)} bytes)  ${verdict}`,
    `    instructions  nix-pgo ${same.nixPgo.instructionsSha256.slice(0, 24)}…, by-hand ${same.byHand.instructionsSha256.slice(0, 24)}… (disassembly, RIP-relative displacements masked)`,
    `    build id      nix-pgo ${same.nixPgo.buildId ?? 'none'}, by-hand ${same.byHand.buildId ?? 'none'}`,
    `    by-hand / nix-pgo: CPU time ${formatSummary(ratio)}${ins === undefined ? '' : `; instructions ${f3(ins)}`}`,
  ];
}

function formatWorkload(result: ProgramResult, workload: string): string[] {
  const seconds = result.perWorkloadSeconds[workload]!;
  const counts = result.counts?.perWorkload[workload];
  const shares = result.oracleShares.perWorkload[workload] ?? {};
  const lines = [`    ${workload}:`];
  lines.push(
    `      ${'variant'.padEnd(17)} ${'CPU s median'.padStart(12)} ${'IQR'.padStart(13)} ${'instructions'.padStart(16)} ` +
      `${'I1 misses'.padStart(12)} ${'per 1k'.padStart(6)}  share of oracle (CPU / instr.)`,
  );
  for (const name of presentVariants(seconds)) {
    const s = seconds[name]!;
    const c = counts?.[name];
    const share = shares[name];
    lines.push(
      `      ${name.padEnd(17)} ${f3(s.median).padStart(12)} ${`${f3(s.q1)}-${f3(s.q3)}`.padStart(13)} ` +
        `${(c ? thousands(c.instructions) : '-').padStart(16)} ${(c ? thousands(c.i1Misses) : '-').padStart(12)} ` +
        `${(c ? ((1000 * c.i1Misses) / c.instructions).toFixed(2) : '-').padStart(6)}` +
        (share ? `  ${f2(share.cpu)} / ${f2(share.instructions)}` : ''),
    );
  }
  const ins = result.countRatios?.instructions.perWorkload[workload];
  const i1 = result.countRatios?.i1Misses.perWorkload[workload];
  lines.push(...formatRatioRows(result.perWorkload[workload]!, ins, i1, '      '));
  return lines;
}

function formatNoise(result: ProgramResult): string[] {
  const faults = Object.values(result.noise.majorFaults).reduce((a, b) => a + b, 0);
  const switches = presentVariants(result.noise.involuntarySwitches)
    .map((name) => `${name} ${result.noise.involuntarySwitches[name]!.median}`)
    .join(', ');
  const wall = presentVariants(result.wallSeconds)
    .map((name) => `${name} ${f3(result.wallSeconds[name]!.median)}/${f3(result.seconds[name]!.median)}`)
    .join(', ');
  return [
    `  noise: pages read from disk in timed runs ${faults}; involuntary switches per sample (median): ${switches}`,
    `  wall/CPU seconds per sample (median), for reference: ${wall}`,
  ];
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
