// What the benchmark needs to know about one program: how Nix and the by-hand
// pipeline build it, and which inputs train it and which measure it.

/** One run of the program: its arguments and, optionally, its standard input. */
export interface Workload {
  name: string;
  args: string[];
  stdin?: string;
}

/** A command the by-hand pipeline runs to build the program with a given compiler command. */
export interface BuildCommand {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

export interface ByHandRecipe {
  /** The same source tree Nix builds from; copied before each build. */
  srcDir: string;
  /** `cc` is the compiler and its variant flags as one shell word list, e.g. `clang-16 -fprofile-generate`. */
  build: (srcCopy: string, outDir: string, cc: string) => BuildCommand;
  /** The program inside `outDir` after the build. */
  binary: string;
}

/**
 * A long-running instrumented program, trained while it runs: the part of the
 * training a daemon of the program does (e.g. `emacs --daemon` driven by
 * `emacsclient`). The spec starts it, drives it, calls `whileRunning` while it
 * still runs, then stops it and waits until it is gone.
 */
export interface LiveSession {
  /** The instrumented package: a store path or the by-hand output directory. */
  root: string;
  /** The environment of the program and its clients (where they write their profiles). */
  env: NodeJS.ProcessEnv;
  /** A scratch directory. */
  cwd: string;
  /**
   * Called once the program has worked and still runs; `pid` is the process
   * the counts come from. Through the daemon it resolves with the status in
   * which that program's data is visible; elsewhere with null at once.
   */
  whileRunning: (pid: number) => Promise<LiveObservation | null>;
  log: (line: string) => void;
}

/** What `nix-pgo status --json` said about the package while the long-running program ran. */
export interface LiveObservation {
  /** When the status was read (ISO 8601). */
  at: string;
  /** The package's entry of the status JSON (`packages[]`), with its `live` field. */
  package: Record<string, unknown>;
  /** The package's entry just before the long-running program started, to compare with. */
  before: Record<string, unknown>;
}

export interface LiveTrainingResult {
  /** What ran, e.g. `emacs --daemon, driven by emacsclient`. */
  program: string;
  /** The requests sent to it, and what each answered. */
  steps: { request: string; answer: string }[];
  observation: LiveObservation | null;
  /** Whether the program still ran after the status was read: its data was visible before it stopped. */
  runningWhenObserved: boolean;
}

/** A property of the built variants that must hold, checked after they are built. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ProgramSpec {
  /** Attribute in the Nix file and key in its `pgoProfiles` argument. */
  name: string;
  nixFile: string;
  /** `--arg NAME EXPR` pairs (Nix expressions); the benchmark bakes them into a package entry file. */
  nixArgs: Record<string, string>;
  /** The program inside the package's output. */
  binary: string;
  byHand: ByHandRecipe;
  /** What nix-pgo, by-hand and the BOLT stage are trained on. */
  train: Workload[];
  /** What every variant is timed and counted on (the oracle variant is trained on exactly these). */
  measure: Workload[];
  /** What the real-use variant is trained on: the measured kind of work with other inputs and sizes, as real use would be. */
  realUse: Workload[];
  /**
   * Whether two runs of the training give the same profile, so nix-pgo and by-hand must build the same
   * instructions (true unless said: Lua seeds its string hashes with the time, Emacs has timers and
   * garbage collection, so their counts vary from run to run).
   */
  deterministicTraining?: boolean;
  /** Removes what legitimately differs between runs (timings) before outputs are compared. */
  normalizeOutput?: (stdout: string) => string;
  /** Problems with a workload's (vanilla) output: identical but broken outputs must not pass. */
  validateOutput?: (workload: Workload, stdout: string) => string[];
  /** Training that runs in a long-running process, after the batch workloads (through the daemon: while it runs). */
  trainLive?: (session: LiveSession) => Promise<LiveTrainingResult>;
  /** Checks of the built variants beyond their outputs. */
  checks?: (variants: readonly { name: string; root: string; binary: string }[], work: string) => Promise<Check[]>;
  /**
   * BOLT after PGO as well (the Nix file builds the package with `enableWith { bolt = true; ... }`):
   * the bolt-instrumented and nix-pgo+bolt variants, through the daemon.
   */
  bolt?: boolean;
  /** Fresh page-cache copies per variant when `--copies` is not given (DEFAULT_COPIES unless said). */
  defaultCopies?: number;
  /** Interleaved repetitions per copy when `--reps` is not given (DEFAULT_REPETITIONS unless said). */
  defaultRepetitions?: number;
  /** The longest one build of a variant may take (30 unless said). */
  buildTimeoutMinutes?: number;
}

export const DEFAULT_COPIES = 8;
export const DEFAULT_REPETITIONS = 3;
export const DEFAULT_BUILD_TIMEOUT_MINUTES = 30;
