// Interleaved timing: every repetition runs every measuring workload on every
// variant, in an order that rotates between repetitions, so drifts of a noisy
// machine hit all variants alike. A first round checks outputs and warms up.
import { performance } from 'node:perf_hooks';
import type { ProgramSpec } from './program-spec.js';
import { runWorkload } from './training.js';
import type { PerVariant, Variant, VariantName } from './variants.js';

export interface OutputCheck {
  workload: string;
  variant: VariantName;
  identical: boolean;
}

export interface Timings {
  /** Seconds per repetition, summed over the measuring workloads. */
  totals: PerVariant<number[]>;
  /** Seconds per repetition of each workload. */
  perWorkload: Record<string, PerVariant<number[]>>;
}

function makeEmptySeries(variants: readonly Variant[]): Record<VariantName, number[]> {
  return Object.fromEntries(variants.map((v) => [v.name, [] as number[]])) as Record<VariantName, number[]>;
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

export async function measureInterleaved(
  spec: ProgramSpec,
  variants: readonly Variant[],
  repetitions: number,
  cwd: string,
  onRepetition: (rep: number) => void = () => {},
): Promise<Timings> {
  const totals = makeEmptySeries(variants);
  const perWorkload = Object.fromEntries(spec.measure.map((w) => [w.name, makeEmptySeries(variants)]));
  for (let rep = 0; rep < repetitions; rep++) {
    const sums = new Map<VariantName, number>();
    for (const workload of spec.measure) {
      for (const variant of rotate(variants, rep)) {
        const start = performance.now();
        await runWorkload(variant.binary, workload, variant.env, cwd);
        const seconds = (performance.now() - start) / 1000;
        perWorkload[workload.name]![variant.name].push(seconds);
        sums.set(variant.name, (sums.get(variant.name) ?? 0) + seconds);
      }
    }
    for (const variant of variants) totals[variant.name].push(sums.get(variant.name) ?? 0);
    onRepetition(rep + 1);
  }
  return { totals, perWorkload };
}
