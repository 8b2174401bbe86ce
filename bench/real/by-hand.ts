// The expert's pipeline outside Nix, on the same sources with the same flags:
// clang-16 -fprofile-generate, training, llvm-profdata merge, clang-16 -fprofile-use.
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { run } from '../../src/process/run.js';
import { DEFAULT_BUILD_TIMEOUT_MINUTES, type LiveTrainingResult, type ProgramSpec } from './program-spec.js';
import { makeRawProfileDir, mergeRawProfiles, runTraining } from './training.js';

export const BY_HAND_COMPILER = 'clang-16';
export const BY_HAND_MERGE_TOOL = 'llvm-profdata-16';
/**
 * The expert's profile-use flags. Programs that share a function name with
 * another (Emacs' lib-src programs each have a `main`, like emacs) get
 * hash-mismatch warnings (-Wbackend-plugin) from the profile; they stay
 * warnings in a -Werror build. They change no code.
 */
export const BY_HAND_USE_FLAGS = ['-Wno-error=backend-plugin'];

export interface ByHandResult {
  optimized: string;
  /** The directory of the optimized build's outputs. */
  optimizedRoot: string;
  profile: string;
  /** Wall seconds of the instrumented and of the optimized build. */
  buildSeconds: { instrumented: number; optimized: number };
  live: LiveTrainingResult | null;
}

/**
 * Builds the program from a fresh copy of its sources with `cc`. Both builds
 * use the same directory, as an expert's `make clean` between them would: IR
 * PGO names static functions after their source path, so a profile from
 * another path would not match them. The next build replaces this one's output.
 * Programs the build runs (Emacs dumps itself and byte-compiles with what it
 * just built) write their profiles below the build directory, as the Nix
 * library's builds do, not into the source tree (plain -fprofile-generate
 * writes default_*.profraw into each process's working directory).
 */
async function buildByHand(
  spec: ProgramSpec,
  work: string,
  cc: string,
): Promise<{ binary: string; root: string; seconds: number }> {
  const dir = join(work, `${spec.name}-by-hand`);
  rmSync(dir, { recursive: true, force: true });
  const srcCopy = join(dir, 'src');
  const outDir = join(dir, 'out');
  const buildProfiles = join(dir, 'build-profiles');
  mkdirSync(buildProfiles, { recursive: true });
  cpSync(spec.byHand.srcDir, srcCopy, { recursive: true });
  const { command, args, env } = spec.byHand.build(srcCopy, outDir, cc);
  const start = performance.now();
  await run(command, args, {
    env: { ...(env ?? process.env), LLVM_PROFILE_FILE: join(buildProfiles, '%m.profraw') },
    cwd: dir,
    timeoutMs: (spec.buildTimeoutMinutes ?? DEFAULT_BUILD_TIMEOUT_MINUTES) * 60_000,
  });
  return { binary: join(outDir, spec.byHand.binary), root: outDir, seconds: (performance.now() - start) / 1000 };
}

export async function runByHandPipeline(
  spec: ProgramSpec,
  work: string,
  log: (line: string) => void = () => {},
): Promise<ByHandResult> {
  const instrumented = await buildByHand(spec, work, `${BY_HAND_COMPILER} -fprofile-generate`);
  const rawDir = makeRawProfileDir(join(work, `${spec.name}-by-hand-raw`));
  // One raw profile per process, as an expert writes them: every run's indirect-call targets resolve.
  const profileFile = join(rawDir, '%p-%m.profraw');
  await runTraining(instrumented.binary, spec.train, profileFile, work);
  const live = spec.trainLive
    ? await spec.trainLive({
        root: instrumented.root,
        env: { ...process.env, LLVM_PROFILE_FILE: profileFile },
        cwd: work,
        whileRunning: async () => null,
        log,
      })
    : null;
  const profile = await mergeRawProfiles(BY_HAND_MERGE_TOOL, rawDir, join(work, `${spec.name}-by-hand.profdata`));
  const optimized = await buildByHand(
    spec,
    work,
    [BY_HAND_COMPILER, `-fprofile-use=${profile}`, ...BY_HAND_USE_FLAGS].join(' '),
  );
  return {
    optimized: optimized.binary,
    optimizedRoot: optimized.root,
    profile,
    buildSeconds: { instrumented: instrumented.seconds, optimized: optimized.seconds },
    live,
  };
}
