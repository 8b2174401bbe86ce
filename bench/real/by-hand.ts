// The expert's pipeline outside Nix, on the same sources with the same flags:
// clang-16 -fprofile-generate, training, llvm-profdata merge, clang-16
// -fprofile-use; trained three ways for the by-hand, real-use and oracle variants.
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { run } from '../../src/process/run.js';
import {
  DEFAULT_BUILD_TIMEOUT_MINUTES,
  type LiveTrainingResult,
  type ProgramSpec,
  type Workload,
} from './program-spec.js';
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

/** The by-hand trainings: the same as nix-pgo's, other inputs of the measured kind, and the measured inputs themselves. */
export type ByHandTrainingName = 'by-hand' | 'real-use' | 'oracle';

export interface ByHandBuild {
  binary: string;
  /** The directory of the build's outputs. */
  root: string;
  profile: string;
  /** Wall seconds of the optimized build. */
  seconds: number;
}

export interface ByHandResult {
  builds: Record<ByHandTrainingName, ByHandBuild>;
  /** Wall seconds of the one instrumented build all three trainings ran. */
  instrumentedSeconds: number;
  live: LiveTrainingResult | null;
}

/**
 * Builds the program from a fresh copy of its sources with `cc` into `dir/out-NAME`.
 * Every build uses the same source directory, as an expert's `make clean` between
 * them would: IR PGO names static functions after their source path, so a
 * profile from another path would not match them. Programs the build runs
 * (Emacs dumps itself and byte-compiles with what it just built) write their
 * profiles below the build directory, as the Nix library's builds do, not into
 * the source tree (plain -fprofile-generate writes default_*.profraw into each
 * process's working directory).
 */
async function buildByHand(
  spec: ProgramSpec,
  dir: string,
  outName: string,
  cc: string,
): Promise<{ binary: string; root: string; seconds: number }> {
  const srcCopy = join(dir, 'src');
  const outDir = join(dir, `out-${outName}`);
  const buildProfiles = join(dir, 'build-profiles');
  rmSync(srcCopy, { recursive: true, force: true });
  rmSync(outDir, { recursive: true, force: true });
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

/**
 * One instrumented build, trained three times (nix-pgo's training, real use, the measured inputs), each
 * training merged and built into its own optimized output.
 */
export async function runByHandPipeline(
  spec: ProgramSpec,
  work: string,
  log: (line: string) => void = () => {},
): Promise<ByHandResult> {
  const dir = join(work, `${spec.name}-by-hand`);
  rmSync(dir, { recursive: true, force: true });
  const instrumented = await buildByHand(spec, dir, 'instrumented', `${BY_HAND_COMPILER} -fprofile-generate`);
  const trainings: { name: ByHandTrainingName; workloads: readonly Workload[] }[] = [
    { name: 'by-hand', workloads: spec.train },
    { name: 'real-use', workloads: spec.realUse },
    { name: 'oracle', workloads: spec.measure },
  ];
  let live: LiveTrainingResult | null = null;
  const profiles = new Map<ByHandTrainingName, string>();
  for (const training of trainings) {
    const rawDir = makeRawProfileDir(join(work, `${spec.name}-${training.name}-raw`));
    // One raw profile per process, as an expert writes them: every run's indirect-call targets resolve.
    const profileFile = join(rawDir, '%p-%m.profraw');
    await runTraining(instrumented.binary, training.workloads, profileFile, work);
    // The long-running part belongs to nix-pgo's training; the others are batch runs only.
    if (training.name === 'by-hand' && spec.trainLive) {
      live = await spec.trainLive({
        root: instrumented.root,
        env: { ...process.env, LLVM_PROFILE_FILE: profileFile },
        cwd: work,
        whileRunning: async () => null,
        log,
      });
    }
    profiles.set(
      training.name,
      await mergeRawProfiles(BY_HAND_MERGE_TOOL, rawDir, join(work, `${spec.name}-${training.name}.profdata`)),
    );
  }
  const builds = {} as Record<ByHandTrainingName, ByHandBuild>;
  for (const training of trainings) {
    const profile = profiles.get(training.name)!;
    log(
      `${spec.name}: by-hand optimized build trained on ${training.name === 'by-hand' ? 'the training workloads' : training.name}`,
    );
    const built = await buildByHand(
      spec,
      dir,
      training.name,
      [BY_HAND_COMPILER, `-fprofile-use=${profile}`, ...BY_HAND_USE_FLAGS].join(' '),
    );
    builds[training.name] = { binary: built.binary, root: built.root, profile, seconds: built.seconds };
  }
  return { builds, instrumentedSeconds: instrumented.seconds, live };
}
