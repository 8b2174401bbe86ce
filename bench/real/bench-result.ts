// The result of benchmarking one program, as printed and as `--json`, and the
// ratios it is summarized by (computed per repetition, then summarized).
import type { BoltFileOutcome } from '../../src/formats/manifest.js';
import type { OutputCheck, Timings } from './measure.js';
import type { Check, LiveTrainingResult } from './program-spec.js';
import { pairRatios, summarize, type Summary } from './statistics.js';
import type { PerVariant, VariantName } from './variants.js';

export interface Ratios {
  /** vanilla time / nix-pgo time: > 1 means nix-pgo is faster. */
  nixPgoOverVanilla: Summary;
  /** by-hand time / nix-pgo time: ≥ 1.00 means the automation loses nothing. */
  nixPgoOverByHand: Summary;
  /** vanilla time / by-hand time. */
  byHandOverVanilla: Summary;
  /** instrumented time / vanilla time: what users live with while profiling. */
  instrumentedSlowdown: Summary;
  /** BOLT: nix-pgo time / nix-pgo+bolt time, what BOLT adds to PGO (absent without BOLT variants). */
  boltOverNixPgo?: Summary;
  /** BOLT: vanilla time / nix-pgo+bolt time. */
  boltOverVanilla?: Summary;
  /** BOLT: bolt-instrumented time / nix-pgo time, what users live with while BOLT profiles. */
  boltInstrumentedSlowdown?: Summary;
}

/** The same ratios of one deterministic count per variant (instructions, cache misses). */
export type CountRatios = { [K in keyof Ratios]: Ratios[K] extends Summary ? number : number | undefined };

/** Cachegrind's simulated instruction cache and branch predictor, per variant: what layout changes. */
export interface CacheCounts {
  /** Instructions executed (`I refs`). */
  instructions: number;
  /** First-level instruction cache misses (`I1 misses`). */
  i1Misses: number;
  /** Conditional and indirect branches executed. */
  branches: number;
  /** Mispredicted conditional and indirect branches. */
  mispredicts: number;
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
  variants: PerVariant<string>;
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
  /** What the BOLT-optimized build did with each ELF file (optimized, or kept as PGO built it and why); null without BOLT. */
  boltFiles: BoltFileOutcome[] | null;
  seconds: PerVariant<Summary>;
  ratios: Ratios;
  perWorkload: Record<string, Ratios>;
  /** Instructions of one run of `callgrindWorkload` per variant, or null when skipped. */
  instructions: ({ workload: string; counts: PerVariant<number> } & CountRatios) | null;
  /** Cachegrind's I1 misses and mispredicted branches of one run of `callgrindWorkload` per variant, or null when skipped. */
  cache: { workload: string; counts: PerVariant<CacheCounts> } | null;
  /** Every repetition's total seconds, for other statistics. */
  rawSeconds: PerVariant<number[]>;
}

/** Each ratio as numerator / denominator variant: > 1 means the denominator is faster (or smaller). */
export const RATIO_DEFINITIONS: readonly { key: keyof Ratios; numerator: VariantName; denominator: VariantName }[] = [
  { key: 'nixPgoOverVanilla', numerator: 'vanilla', denominator: 'nix-pgo' },
  { key: 'nixPgoOverByHand', numerator: 'by-hand', denominator: 'nix-pgo' },
  { key: 'byHandOverVanilla', numerator: 'vanilla', denominator: 'by-hand' },
  { key: 'instrumentedSlowdown', numerator: 'instrumented', denominator: 'vanilla' },
  { key: 'boltOverNixPgo', numerator: 'nix-pgo', denominator: 'nix-pgo+bolt' },
  { key: 'boltOverVanilla', numerator: 'vanilla', denominator: 'nix-pgo+bolt' },
  { key: 'boltInstrumentedSlowdown', numerator: 'bolt-instrumented', denominator: 'nix-pgo' },
];

/** Applies `ratio` to every defined ratio whose two variants are present. */
function mapRatios<T, R>(values: PerVariant<T>, ratio: (numerator: T, denominator: T) => R): Record<string, R> {
  const out: Record<string, R> = {};
  for (const { key, numerator, denominator } of RATIO_DEFINITIONS) {
    const n = values[numerator];
    const d = values[denominator];
    if (n !== undefined && d !== undefined) out[key] = ratio(n, d);
  }
  return out;
}

/** The ratios of paired timings (repetition by repetition), summarized. */
export function computeRatios(series: PerVariant<number[]>): Ratios {
  return mapRatios(series, (n, d) => summarize(pairRatios(n, d))) as unknown as Ratios;
}

/** The ratios of one deterministic count per variant. */
export function computeInstructionRatios(counts: PerVariant<number>): CountRatios {
  return mapRatios(counts, (n, d) => n / d) as unknown as CountRatios;
}

export function summarizeTimings(
  timings: Timings,
): Pick<ProgramResult, 'seconds' | 'ratios' | 'perWorkload' | 'rawSeconds'> {
  const seconds = Object.fromEntries(
    Object.entries(timings.totals).map(([name, values]) => [name, summarize(values)]),
  ) as PerVariant<Summary>;
  const perWorkload = Object.fromEntries(
    Object.entries(timings.perWorkload).map(([name, series]) => [name, computeRatios(series)]),
  );
  return { seconds, ratios: computeRatios(timings.totals), perWorkload, rawSeconds: timings.totals };
}
