// The result of benchmarking one program, as printed and as `--json`, and the
// ratios it is summarized by (computed per repetition, then summarized).
import type { OutputCheck, Timings } from './measure.js';
import type { Check, LiveTrainingResult } from './program-spec.js';
import { pairRatios, summarize, type Summary } from './statistics.js';
import type { VariantName } from './variants.js';

export interface Ratios {
  /** vanilla time / nix-pgo time: > 1 means nix-pgo is faster. */
  nixPgoOverVanilla: Summary;
  /** by-hand time / nix-pgo time: ≥ 1.00 means the automation loses nothing. */
  nixPgoOverByHand: Summary;
  /** vanilla time / by-hand time. */
  byHandOverVanilla: Summary;
  /** instrumented time / vanilla time: what users live with while profiling. */
  instrumentedSlowdown: Summary;
}

/** One build of a variant: its wall time, and whether it was built now or came from the Nix store. */
export interface BuildTime {
  /** `vanilla`, `instrumented`, `nix-pgo`, `by-hand instrumented`, `by-hand optimized`. */
  variant: string;
  seconds: number;
  /** False when the Nix store already had it (the seconds are then evaluation only). */
  built: boolean;
}

export interface ProgramResult {
  program: string;
  /** How the nix-pgo variant was produced. */
  nixPgoSource: string;
  /** The binary measured for each variant (in the Nix store, or in the work directory for by-hand). */
  variants: Record<VariantName, string>;
  trainingWorkloads: string[];
  measuringWorkloads: string[];
  repetitions: number;
  outputs: OutputCheck[];
  outputsIdentical: boolean;
  /** Build time of each variant (by-hand: both of its builds). */
  builds: BuildTime[];
  /** The long-running part of the nix-pgo variant's training, with the status read while it ran. */
  live: LiveTrainingResult | null;
  /** Properties of the variants and of the way they were made (a well-formed output is one). */
  checks: Check[];
  checksPassed: boolean;
  seconds: Record<VariantName, Summary>;
  ratios: Ratios;
  perWorkload: Record<string, Ratios>;
  /** Instructions of one run of `callgrindWorkload` per variant, or null when skipped. */
  instructions: { workload: string; counts: Record<VariantName, number>; nixPgoOverVanilla: number; nixPgoOverByHand: number; byHandOverVanilla: number; instrumentedSlowdown: number } | null;
  /** Every repetition's total seconds, for other statistics. */
  rawSeconds: Record<VariantName, number[]>;
}

export function computeRatios(series: Record<VariantName, number[]>): Ratios {
  return {
    nixPgoOverVanilla: summarize(pairRatios(series.vanilla, series['nix-pgo'])),
    nixPgoOverByHand: summarize(pairRatios(series['by-hand'], series['nix-pgo'])),
    byHandOverVanilla: summarize(pairRatios(series.vanilla, series['by-hand'])),
    instrumentedSlowdown: summarize(pairRatios(series.instrumented, series.vanilla)),
  };
}

export function computeInstructionRatios(counts: Record<VariantName, number>) {
  return {
    nixPgoOverVanilla: counts.vanilla / counts['nix-pgo'],
    nixPgoOverByHand: counts['by-hand'] / counts['nix-pgo'],
    byHandOverVanilla: counts.vanilla / counts['by-hand'],
    instrumentedSlowdown: counts.instrumented / counts.vanilla,
  };
}

export function summarizeTimings(timings: Timings): Pick<ProgramResult, 'seconds' | 'ratios' | 'perWorkload' | 'rawSeconds'> {
  const seconds = Object.fromEntries(
    Object.entries(timings.totals).map(([name, values]) => [name, summarize(values)]),
  ) as Record<VariantName, Summary>;
  const perWorkload = Object.fromEntries(Object.entries(timings.perWorkload).map(([name, series]) => [name, computeRatios(series)]));
  return { seconds, ratios: computeRatios(timings.totals), perWorkload, rawSeconds: timings.totals };
}
