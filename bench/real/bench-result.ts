// The result of benchmarking one program, as printed and as `--json`, and the
// ratios it is summarized by: CPU-time ratios paired sample by sample (copy k,
// repetition r of two variants), then summarized; deterministic counts beside
// them; each variant's share of the oracle's gain.
import type { BoltFileOutcome } from '../../src/formats/manifest.js';
import type { CodeIdentity } from './code-identity.js';
import type { OutputCheck, TimingMethod, Timings } from './measure.js';
import type { Check, LiveTrainingResult } from './program-spec.js';
import { pairRatios, summarize, type Summary } from './statistics.js';
import type { PerVariant, VariantName } from './variants.js';

export interface Ratios {
  /** vanilla time / nix-pgo time: > 1 means nix-pgo is faster. */
  nixPgoOverVanilla: Summary;
  /** by-hand time / nix-pgo time: ≥ 1.00 means the automation loses nothing (same training). */
  nixPgoOverByHand: Summary;
  /** vanilla time / by-hand time. */
  byHandOverVanilla: Summary;
  /** vanilla time / real-use time: trained on other inputs of the measured kind. */
  realUseOverVanilla: Summary;
  /** vanilla time / oracle time: trained on the measured inputs, the most a profile gives. */
  oracleOverVanilla: Summary;
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
  /** `vanilla`, `instrumented`, `nix-pgo`, `by-hand instrumented`, `by-hand optimized`, … */
  variant: string;
  seconds: number;
  /** False when the Nix store already had it (the seconds are then evaluation only). */
  built: boolean;
}

/** nix-pgo and by-hand, given the same build script and the same training: is it the same code? */
export interface SameTraining {
  training: string[];
  nixPgo: CodeIdentity;
  byHand: CodeIdentity;
  /** The .text sections are byte for byte the same. */
  identicalText: boolean;
  /** The instructions are the same, data references' displacements aside (implied by identicalText). */
  sameInstructions: boolean;
  /** Whether a difference fails the run: the program's training is deterministic. */
  required: boolean;
}

/**
 * (speedup of a variant − 1) / (speedup of the oracle − 1), in CPU time and in instructions; null when the
 * oracle gains nothing (in time: nothing beyond the noise).
 */
export interface OracleShare {
  cpu: number | null;
  instructions: number | null;
}

/** Per variant that has a gain to compare (nix-pgo, by-hand, real-use, nix-pgo+bolt). */
export type OracleShares = Partial<Record<VariantName, OracleShare>>;

export interface ProgramResult {
  program: string;
  /** How the nix-pgo variant was produced. */
  nixPgoSource: string;
  /** The binary measured for each variant (in the Nix store, or in the work directory for by-hand builds). */
  variants: PerVariant<string>;
  /** What nix-pgo, by-hand and the BOLT stage were trained on. */
  trainingWorkloads: string[];
  /** What real-use was trained on: the measured kind of work, other inputs. */
  realUseWorkloads: string[];
  measuringWorkloads: string[];
  /** How every time was taken. */
  method: TimingMethod;
  outputs: OutputCheck[];
  outputsIdentical: boolean;
  /** Build time of each variant (by-hand: each of its builds). */
  builds: BuildTime[];
  /** The long-running part of the nix-pgo variant's training, with the status read while it ran. */
  live: LiveTrainingResult | null;
  /** Properties of the variants and of the way they were made (a well-formed output is one). */
  checks: Check[];
  checksPassed: boolean;
  sameTraining: SameTraining;
  /** What the BOLT-optimized build did with each ELF file (optimized, or kept as PGO built it and why); null without BOLT. */
  boltFiles: BoltFileOutcome[] | null;
  /** CPU seconds per sample, summed over the measuring workloads. */
  seconds: PerVariant<Summary>;
  /** Wall seconds per sample, for reference (waiting for the processor or the disk included). */
  wallSeconds: PerVariant<Summary>;
  ratios: Ratios;
  perWorkload: Record<string, Ratios>;
  perWorkloadSeconds: Record<string, PerVariant<Summary>>;
  /** Cachegrind's counts of one run of every measuring workload per variant, and their sums; null when skipped. */
  counts: { perWorkload: Record<string, PerVariant<CacheCounts>>; total: PerVariant<CacheCounts> } | null;
  /** The ratios of the instruction counts and of the I1 misses, over all workloads and per workload. */
  countRatios: {
    instructions: { total: CountRatios; perWorkload: Record<string, CountRatios> };
    i1Misses: { total: CountRatios; perWorkload: Record<string, CountRatios> };
  } | null;
  oracleShares: { total: OracleShares; perWorkload: Record<string, OracleShares> };
  /** How contended the machine was: pages read in timed runs, and involuntary switches per sample. */
  noise: { majorFaults: PerVariant<number>; involuntarySwitches: PerVariant<Summary> };
  /** Every sample's CPU seconds per variant, and the copy each sample ran on, for other statistics. */
  rawSeconds: PerVariant<number[]>;
  sampleCopies: number[];
}

/** Each ratio as numerator / denominator variant: > 1 means the denominator is faster (or smaller). */
export const RATIO_DEFINITIONS: readonly { key: keyof Ratios; numerator: VariantName; denominator: VariantName }[] = [
  { key: 'nixPgoOverVanilla', numerator: 'vanilla', denominator: 'nix-pgo' },
  { key: 'nixPgoOverByHand', numerator: 'by-hand', denominator: 'nix-pgo' },
  { key: 'byHandOverVanilla', numerator: 'vanilla', denominator: 'by-hand' },
  { key: 'realUseOverVanilla', numerator: 'vanilla', denominator: 'real-use' },
  { key: 'oracleOverVanilla', numerator: 'vanilla', denominator: 'oracle' },
  { key: 'instrumentedSlowdown', numerator: 'instrumented', denominator: 'vanilla' },
  { key: 'boltOverNixPgo', numerator: 'nix-pgo', denominator: 'nix-pgo+bolt' },
  { key: 'boltOverVanilla', numerator: 'vanilla', denominator: 'nix-pgo+bolt' },
  { key: 'boltInstrumentedSlowdown', numerator: 'bolt-instrumented', denominator: 'nix-pgo' },
];

/** The variants measured against the oracle, with the ratio that is their speedup over vanilla. */
export const SHARE_OF_ORACLE: readonly { variant: VariantName; speedup: keyof Ratios }[] = [
  { variant: 'nix-pgo', speedup: 'nixPgoOverVanilla' },
  { variant: 'by-hand', speedup: 'byHandOverVanilla' },
  { variant: 'real-use', speedup: 'realUseOverVanilla' },
  { variant: 'nix-pgo+bolt', speedup: 'boltOverVanilla' },
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

/** The ratios of paired timings (sample by sample), summarized. */
export function computeRatios(series: PerVariant<number[]>): Ratios {
  return mapRatios(series, (n, d) => summarize(pairRatios(n, d))) as unknown as Ratios;
}

/** The ratios of one deterministic count per variant. */
export function computeInstructionRatios(counts: PerVariant<number>): CountRatios {
  return mapRatios(counts, (n, d) => n / d) as unknown as CountRatios;
}

/** (gain − 1) / (oracle gain − 1): which part of what the best profile gives a variant reaches. */
export function shareOfGain(speedup: number | undefined, oracleSpeedup: number | undefined): number | null {
  if (speedup === undefined || oracleSpeedup === undefined || oracleSpeedup <= 1) return null;
  return (speedup - 1) / (oracleSpeedup - 1);
}

/**
 * Each variant's share of the oracle's gain: from the median CPU-time speedups and from the instruction
 * ratios. In time only where the oracle's gain is beyond the noise (its IQR above 1.00): a share of a
 * gain within the noise is any number.
 */
export function computeOracleShares(cpu: Ratios, instructions: CountRatios | null): OracleShares {
  const shares: OracleShares = {};
  const oracleGains = cpu.oracleOverVanilla.q1 > 1;
  for (const { variant, speedup } of SHARE_OF_ORACLE) {
    const summary = cpu[speedup];
    if (!summary) continue;
    shares[variant] = {
      cpu: oracleGains ? shareOfGain(summary.median, cpu.oracleOverVanilla.median) : null,
      instructions: instructions ? shareOfGain(instructions[speedup], instructions.oracleOverVanilla) : null,
    };
  }
  return shares;
}

function mapVariants<T, R>(values: PerVariant<T>, f: (value: T) => R): PerVariant<R> {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, f(value as T)])) as PerVariant<R>;
}

/** Sums each variant's counts over the workloads. */
export function sumCounts(perWorkload: Record<string, PerVariant<CacheCounts>>): PerVariant<CacheCounts> {
  const total: Partial<Record<VariantName, CacheCounts>> = {};
  for (const counts of Object.values(perWorkload)) {
    for (const [name, c] of Object.entries(counts) as [VariantName, CacheCounts][]) {
      const t = total[name] ?? { instructions: 0, i1Misses: 0, branches: 0, mispredicts: 0 };
      total[name] = {
        instructions: t.instructions + c.instructions,
        i1Misses: t.i1Misses + c.i1Misses,
        branches: t.branches + c.branches,
        mispredicts: t.mispredicts + c.mispredicts,
      };
    }
  }
  return total as PerVariant<CacheCounts>;
}

/** The ratios of one count (instructions or I1 misses), over all workloads and per workload. */
function countRatiosOf(
  counts: NonNullable<ProgramResult['counts']>,
  field: 'instructions' | 'i1Misses',
): { total: CountRatios; perWorkload: Record<string, CountRatios> } {
  const of = (c: PerVariant<CacheCounts>) => computeInstructionRatios(mapVariants(c, (x) => x[field]));
  return {
    total: of(counts.total),
    perWorkload: Object.fromEntries(Object.entries(counts.perWorkload).map(([w, c]) => [w, of(c)])),
  };
}

export function summarizeTimings(
  timings: Timings,
  perWorkloadCounts: Record<string, PerVariant<CacheCounts>> | null,
): Pick<
  ProgramResult,
  | 'method'
  | 'seconds'
  | 'wallSeconds'
  | 'ratios'
  | 'perWorkload'
  | 'perWorkloadSeconds'
  | 'counts'
  | 'countRatios'
  | 'oracleShares'
  | 'noise'
  | 'rawSeconds'
  | 'sampleCopies'
> {
  const ratios = computeRatios(timings.totals);
  const perWorkload = Object.fromEntries(
    Object.entries(timings.perWorkload).map(([name, series]) => [name, computeRatios(series)]),
  );
  const counts = perWorkloadCounts ? { perWorkload: perWorkloadCounts, total: sumCounts(perWorkloadCounts) } : null;
  const countRatios = counts
    ? { instructions: countRatiosOf(counts, 'instructions'), i1Misses: countRatiosOf(counts, 'i1Misses') }
    : null;
  return {
    method: timings.method,
    seconds: mapVariants(timings.totals, summarize),
    wallSeconds: mapVariants(timings.wallTotals, summarize),
    ratios,
    perWorkload,
    perWorkloadSeconds: Object.fromEntries(
      Object.entries(timings.perWorkload).map(([name, series]) => [name, mapVariants(series, summarize)]),
    ),
    counts,
    countRatios,
    oracleShares: {
      total: computeOracleShares(ratios, countRatios?.instructions.total ?? null),
      perWorkload: Object.fromEntries(
        Object.entries(perWorkload).map(([name, r]) => [
          name,
          computeOracleShares(r, countRatios?.instructions.perWorkload[name] ?? null),
        ]),
      ),
    },
    noise: {
      majorFaults: timings.majorFaults,
      involuntarySwitches: mapVariants(timings.involuntarySwitches, summarize),
    },
    rawSeconds: timings.totals,
    sampleCopies: timings.sampleCopies,
  };
}
