/**
 * What merging needs of one profile format. Each toolchain's format is one
 * module (clang-format.ts, gcc-format.ts, bolt-format.ts), listed by
 * profile-formats.ts; merge-package.ts keeps the contributors' bookkeeping
 * and the commit protocol, and asks the format for everything that depends
 * on the bytes.
 */
import type { ProfileManifest } from '../formats/manifest.js';
import type { StagedRecord } from '../state/harvest-journal.js';
import type { ProfileRecord } from './measure-match.js';

/** What a format's merge may use: the tool the manifest names, and a way to set aside an input it cannot read. */
export interface MergeTools {
  /** The manifest's merge tool (llvm-profdata, gcov-tool), of the compiler that wrote the data. */
  tool: string;
  /** Quarantines an input that cannot be merged (and deletes its staged copy); it is then not among those used. */
  reject(input: StagedRecord, detail: string): void;
}

/** A stored output and the factor in (0, 1] its counts are scaled by. */
export interface WeightedProfile {
  path: string;
  weight: number;
}

/** The functions that ran: counted in an output, or named by the inputs (the package's union is counted at commit). */
export type FunctionsRun = { count: number } | { keys: readonly string[] } | null;

export interface ProfileFormat {
  /** How a generation's output is named, `gen-N.<suffix>`, so recovery can match it to the database. */
  readonly suffix: string;
  /**
   * Merges staged inputs onto `base` (a whole stored output, or null) and
   * publishes the result as `target` (publish-output.ts); returns the inputs
   * it used. Nothing used: nothing published.
   */
  mergeInputs(
    tools: MergeTools,
    base: string | null,
    inputs: readonly StagedRecord[],
    target: string,
  ): Promise<StagedRecord[]>;
  /** Publishes as `target` the sum of whole stored outputs, each scaled by its weight. */
  combine(tool: string, parts: readonly WeightedProfile[], target: string): Promise<void>;
  /** A problem in words, or null when the output at `path` is whole; may throw on an unreadable path. */
  check(path: string): string | null;
  /** How alike two whole outputs are, 0..1 (1: the same shape); null when one has no counts. */
  measureOverlap(tool: string, previous: string, current: string): Promise<number | null>;
  /** The sum of all counters of a whole output. */
  measureMass(tool: string, path: string): Promise<number>;
  /** The content hash and size a generation records of its output. */
  hashOutput(path: string): { sha256: string; bytes: number };
  /** The functions that ran, for the generation's count of them. */
  listFunctionsRun(output: string, inputs: readonly StagedRecord[]): FunctionsRun;
  /** The functions of a whole output, with the keys the compiler looks them up by and their counts; [] when the format has none. */
  listRecords(tool: string, path: string): Promise<ProfileRecord[]>;
  /**
   * The keys of the functions an instrumented build of `manifest` carries in the ELF files of its
   * outputs: what the optimized build of the same derivation looks up. Null when none is found.
   */
  listBuildKeys(manifest: ProfileManifest, outputs: readonly string[]): string[] | null;
  /** Publishes as `target` the part of a whole output whose functions have one of `keys` (all of it where the format cannot tell). */
  restrictToKeys(tool: string, path: string, keys: readonly string[], target: string): Promise<void>;
}
