// Interleaved timing over fresh page-cache copies. For each copy round, every
// variant gets a fresh copy of its binary (page-cache-copies.ts), each copy
// runs every measuring workload once untimed (reading it back from disk),
// then every repetition runs every workload on every variant's copy, in an
// order that rotates between repetitions, so drifts of a noisy machine hit all
// variants alike. Each run is CPU time (user + system) pinned to one processor.
import type { Timer } from './cpu-time.js';
import { runTimed } from './cpu-time.js';
import { makeFreshCopies, removeCopies } from './page-cache-copies.js';
import type { ProgramSpec } from './program-spec.js';
import { runWorkload } from './training.js';
import type { PerVariant, Variant, VariantName } from './variants.js';

export interface OutputCheck {
  workload: string;
  variant: VariantName;
  identical: boolean;
}

/** How the timings were taken. */
export interface TimingMethod {
  /** What a sample is: CPU time of the child (user + system). */
  clock: 'cpu';
  /** The processor every timed run was pinned to, or null. */
  cpu: number | null;
  /** Fresh page-cache copies per variant. */
  copies: number;
  /** Interleaved repetitions per copy. */
  repetitionsPerCopy: number;
}

export interface Timings {
  method: TimingMethod;
  /** CPU seconds per sample (copy-major: copy 0's repetitions first), summed over the measuring workloads. */
  totals: PerVariant<number[]>;
  /** CPU seconds per sample of each workload. */
  perWorkload: Record<string, PerVariant<number[]>>;
  /** Wall seconds per sample, summed over the workloads: for reference only. */
  wallTotals: PerVariant<number[]>;
  /** The copy each sample ran on. */
  sampleCopies: number[];
  /** Pages read from disk during timed runs, per variant: 0 when every copy was cached by its untimed run. */
  majorFaults: PerVariant<number>;
  /** Involuntary context switches per sample (summed over the workloads): contention for the pinned processor. */
  involuntarySwitches: PerVariant<number[]>;
}

function makeSeries<T>(variants: readonly Variant[], make: () => T): Record<VariantName, T> {
  return Object.fromEntries(variants.map((v) => [v.name, make()])) as Record<VariantName, T>;
}

/** Variants in the order of repetition `rep`: a rotate, so each variant goes first equally often. */
export function rotate<T>(items: readonly T[], rep: number): T[] {
  const shift = rep % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** A measuring workload whose reference output (the first variant's) is not what it should be. */
export interface MalformedOutput {
  workload: string;
  problems: string[];
}

/**
 * Runs each workload once per variant and compares its (normalized) output with the first variant's;
 * the first variant's output is also checked with the spec's `validateOutput`.
 */
export async function checkOutputs(
  spec: ProgramSpec,
  variants: readonly Variant[],
  cwd: string,
): Promise<{ outputs: OutputCheck[]; malformed: MalformedOutput[] }> {
  const normalize = spec.normalizeOutput ?? ((s: string) => s);
  const checks: OutputCheck[] = [];
  const malformed: MalformedOutput[] = [];
  for (const workload of spec.measure) {
    let reference: string | undefined;
    for (const variant of variants) {
      const raw = await runWorkload(variant.binary, workload, variant.env, cwd);
      const output = normalize(raw);
      if (reference === undefined) {
        const problems = spec.validateOutput?.(workload, raw) ?? [];
        if (problems.length > 0) malformed.push({ workload: workload.name, problems });
      }
      reference ??= output;
      checks.push({ workload: workload.name, variant: variant.name, identical: output === reference });
    }
  }
  return { outputs: checks, malformed };
}

export interface MeasureOptions {
  timer: Timer;
  copies: number;
  repetitionsPerCopy: number;
  /** Where the copies are written (removed after each round). */
  copyDir: string;
  cwd: string;
  onSample?: (sample: number, of: number) => void;
}

export async function measureInterleaved(
  spec: ProgramSpec,
  variants: readonly Variant[],
  options: MeasureOptions,
): Promise<Timings> {
  const { timer, copies, repetitionsPerCopy, copyDir, cwd } = options;
  const totals = makeSeries(variants, () => [] as number[]);
  const wallTotals = makeSeries(variants, () => [] as number[]);
  const involuntarySwitches = makeSeries(variants, () => [] as number[]);
  const majorFaults = makeSeries(variants, () => 0);
  const perWorkload = Object.fromEntries(spec.measure.map((w) => [w.name, makeSeries(variants, () => [] as number[])]));
  const sampleCopies: number[] = [];
  const samples = copies * repetitionsPerCopy;
  for (let copy = 0; copy < copies; copy++) {
    const copied = await makeFreshCopies(variants, copyDir, copy);
    try {
      // Untimed: each copy's first run reads it back from disk into the page cache.
      for (const workload of spec.measure)
        for (const variant of copied) await runWorkload(variant.binary, workload, variant.env, cwd);
      for (let rep = 0; rep < repetitionsPerCopy; rep++) {
        const sample = copy * repetitionsPerCopy + rep;
        const cpu = new Map<VariantName, number>();
        const wall = new Map<VariantName, number>();
        const switches = new Map<VariantName, number>();
        for (const workload of spec.measure) {
          for (const variant of rotate(copied, sample)) {
            const { usage } = await runTimed(timer, variant.binary, workload, variant.env, cwd);
            perWorkload[workload.name]![variant.name].push(usage.cpuSeconds);
            cpu.set(variant.name, (cpu.get(variant.name) ?? 0) + usage.cpuSeconds);
            wall.set(variant.name, (wall.get(variant.name) ?? 0) + usage.wallSeconds);
            switches.set(variant.name, (switches.get(variant.name) ?? 0) + usage.involuntarySwitches);
            majorFaults[variant.name] += usage.majorFaults;
          }
        }
        for (const variant of variants) {
          totals[variant.name].push(cpu.get(variant.name) ?? 0);
          wallTotals[variant.name].push(wall.get(variant.name) ?? 0);
          involuntarySwitches[variant.name].push(switches.get(variant.name) ?? 0);
        }
        sampleCopies.push(copy);
        options.onSample?.(sample + 1, samples);
      }
    } finally {
      removeCopies(copyDir, copy);
    }
  }
  return {
    method: { clock: 'cpu', cpu: timer.cpu, copies, repetitionsPerCopy },
    totals,
    perWorkload,
    wallTotals,
    sampleCopies,
    majorFaults,
    involuntarySwitches,
  };
}
