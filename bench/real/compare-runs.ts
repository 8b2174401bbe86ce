// Whether two runs of the benchmark (their --json outputs) agree: every
// CPU-time ratio both have, over all workloads and per workload, agrees when
// the two interquartile ranges overlap. Deterministic counts are shown beside
// it: the same binaries give the same counts, so a difference there means the
// builds differ, not the machine.
import type { CountRatios, ProgramResult, Ratios } from './bench-result.js';
import { describeMethod } from './format-report.js';
import type { Summary } from './statistics.js';

export interface RunFile {
  date: string;
  results: ProgramResult[];
}

export interface RatioComparison {
  program: string;
  /** `all workloads` or a workload's name. */
  scope: string;
  ratio: keyof Ratios;
  a: Summary;
  b: Summary;
  agree: boolean;
  /** The instruction ratio of each run, when both counted. */
  instructions: { a: number; b: number } | null;
}

export interface RunComparison {
  comparisons: RatioComparison[];
  /** Programs only one of the runs has. */
  unmatched: string[];
  /** Programs whose runs were timed another way (copies, repetitions, processor). */
  methodDiffers: string[];
  agree: boolean;
}

/** Two summaries agree when their interquartile ranges overlap. */
export function iqrsOverlap(a: Summary, b: Summary): boolean {
  return Math.max(a.q1, b.q1) <= Math.min(a.q3, b.q3);
}

function compareRatios(
  program: string,
  scope: string,
  a: Ratios,
  b: Ratios,
  insA: CountRatios | undefined,
  insB: CountRatios | undefined,
): RatioComparison[] {
  const out: RatioComparison[] = [];
  for (const key of Object.keys(a) as (keyof Ratios)[]) {
    const sa = a[key];
    const sb = b[key];
    if (!sa || !sb) continue;
    const ia = insA?.[key];
    const ib = insB?.[key];
    out.push({
      program,
      scope,
      ratio: key,
      a: sa,
      b: sb,
      agree: iqrsOverlap(sa, sb),
      instructions: ia !== undefined && ib !== undefined ? { a: ia, b: ib } : null,
    });
  }
  return out;
}

export function compareRuns(a: RunFile, b: RunFile): RunComparison {
  const comparisons: RatioComparison[] = [];
  const unmatched: string[] = [];
  const methodDiffers: string[] = [];
  const programs = new Set([...a.results.map((r) => r.program), ...b.results.map((r) => r.program)]);
  for (const program of programs) {
    const ra = a.results.find((r) => r.program === program);
    const rb = b.results.find((r) => r.program === program);
    if (!ra || !rb) {
      unmatched.push(program);
      continue;
    }
    if (describeMethod(ra.method) !== describeMethod(rb.method)) methodDiffers.push(program);
    const ia = ra.countRatios?.instructions;
    const ib = rb.countRatios?.instructions;
    comparisons.push(...compareRatios(program, 'all workloads', ra.ratios, rb.ratios, ia?.total, ib?.total));
    for (const workload of Object.keys(ra.perWorkload)) {
      const wb = rb.perWorkload[workload];
      if (!wb) continue;
      comparisons.push(
        ...compareRatios(
          program,
          workload,
          ra.perWorkload[workload]!,
          wb,
          ia?.perWorkload[workload],
          ib?.perWorkload[workload],
        ),
      );
    }
  }
  return { comparisons, unmatched, methodDiffers, agree: comparisons.every((c) => c.agree) };
}

const f3 = (x: number) => x.toFixed(3);
const span = (s: Summary) => `${f3(s.median)} (${f3(s.q1)}-${f3(s.q3)}, n=${s.n})`;

export function formatComparison(result: RunComparison, a: RunFile, b: RunFile): string {
  const lines = [`A: ${a.date}`, `B: ${b.date}`];
  for (const r of a.results) lines.push(`  ${r.program} A: ${describeMethod(r.method)}`);
  for (const r of b.results) lines.push(`  ${r.program} B: ${describeMethod(r.method)}`);
  let scope = '';
  for (const c of result.comparisons) {
    const heading = `${c.program}, ${c.scope}`;
    if (heading !== scope) {
      lines.push(`${heading}:  CPU-time ratio A | B (median, IQR, n); instructions A | B`);
      scope = heading;
    }
    const ins = c.instructions ? `   ${f3(c.instructions.a)} | ${f3(c.instructions.b)}` : '';
    lines.push(
      `  ${c.agree ? 'agree  ' : 'DIFFER '} ${c.ratio.padEnd(26)} ${span(c.a).padEnd(30)} | ${span(c.b).padEnd(30)}${ins}`,
    );
  }
  for (const p of result.unmatched) lines.push(`only one run has ${p}`);
  for (const p of result.methodDiffers) lines.push(`${p}: the two runs were timed differently (see the method lines)`);
  const differing = result.comparisons.filter((c) => !c.agree).length;
  lines.push(
    result.agree
      ? `the runs agree: all ${result.comparisons.length} ratios' interquartile ranges overlap`
      : `the runs DIFFER: ${differing} of ${result.comparisons.length} ratios' interquartile ranges do not overlap`,
  );
  return `${lines.join('\n')}\n`;
}
