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

export interface ProgramSpec {
  /** Attribute in the Nix file and key in its `pgoProfiles` argument. */
  name: string;
  nixFile: string;
  /** `--arg NAME EXPR` pairs (Nix expressions); the benchmark bakes them into a package entry file. */
  nixArgs: Record<string, string>;
  /** The program inside the package's output. */
  binary: string;
  byHand: ByHandRecipe;
  train: Workload[];
  measure: Workload[];
  /** The measuring workload that callgrind counts instructions of. */
  callgrindWorkload: string;
  /** Removes what legitimately differs between runs (timings) before outputs are compared. */
  normalizeOutput?: (stdout: string) => string;
}
