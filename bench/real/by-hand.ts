// The expert's pipeline outside Nix, on the same sources with the same flags:
// clang-16 -fprofile-generate, training, llvm-profdata merge, clang-16 -fprofile-use.
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/process/run.js';
import type { ProgramSpec } from './program-spec.js';
import { makeRawProfileDir, mergeRawProfiles, runTraining } from './training.js';

export const BY_HAND_COMPILER = 'clang-16';
export const BY_HAND_MERGE_TOOL = 'llvm-profdata-16';

const BUILD_TIMEOUT_MS = 30 * 60_000;

export interface ByHandResult {
  optimized: string;
  /** The directory of the optimized build's outputs. */
  optimizedRoot: string;
  profile: string;
}

/**
 * Builds the program from a fresh copy of its sources with `cc`. Both builds
 * use the same directory, as an expert's `make clean` between them would: IR
 * PGO names static functions after their source path, so a profile from
 * another path would not match them. The next build replaces this one's output.
 */
async function buildByHand(spec: ProgramSpec, work: string, cc: string): Promise<{ binary: string; root: string }> {
  const dir = join(work, `${spec.name}-by-hand`);
  rmSync(dir, { recursive: true, force: true });
  const srcCopy = join(dir, 'src');
  const outDir = join(dir, 'out');
  cpSync(spec.byHand.srcDir, srcCopy, { recursive: true });
  const { command, args, env } = spec.byHand.build(srcCopy, outDir, cc);
  await run(command, args, { env, cwd: dir, timeoutMs: BUILD_TIMEOUT_MS });
  return { binary: join(outDir, spec.byHand.binary), root: outDir };
}

export async function runByHandPipeline(spec: ProgramSpec, work: string): Promise<ByHandResult> {
  const instrumented = await buildByHand(spec, work, `${BY_HAND_COMPILER} -fprofile-generate`);
  const rawDir = makeRawProfileDir(join(work, `${spec.name}-by-hand-raw`));
  // One raw profile per process, as an expert writes them: every run's indirect-call targets resolve.
  await runTraining(instrumented.binary, spec.train, join(rawDir, '%p-%m.profraw'), work);
  const profile = await mergeRawProfiles(BY_HAND_MERGE_TOOL, rawDir, join(work, `${spec.name}-by-hand.profdata`));
  const optimized = await buildByHand(spec, work, `${BY_HAND_COMPILER} -fprofile-use=${profile}`);
  return { optimized: optimized.binary, optimizedRoot: optimized.root, profile };
}
