// Training: the instrumented program runs the training workloads and writes
// raw profiles; the manifest's merge tool (or the expert's) merges them.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/process/run.js';
import { mergeProfiles } from '../../src/tools/llvm-profdata.js';
import type { Workload } from './program-spec.js';

const RUN_TIMEOUT_MS = 10 * 60_000;

/** Runs one workload of a program with the given environment; returns stdout. */
export async function runWorkload(
  binary: string,
  workload: Workload,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<string> {
  const { stdout } = await run(binary, workload.args, { env, cwd, input: workload.stdin, timeoutMs: RUN_TIMEOUT_MS });
  return stdout;
}

/**
 * Runs every training workload with LLVM_PROFILE_FILE set to `profileFile`: one after another, or
 * all at once (`overlapping`), as runs pile up on a busy machine before anything harvests them.
 */
export async function runTraining(
  binary: string,
  workloads: readonly Workload[],
  profileFile: string,
  cwd: string,
  overlapping = false,
): Promise<void> {
  const env = { ...process.env, LLVM_PROFILE_FILE: profileFile };
  if (overlapping) await Promise.all(workloads.map((workload) => runWorkload(binary, workload, env, cwd)));
  else for (const workload of workloads) await runWorkload(binary, workload, env, cwd);
}

/** Merges every raw profile in `rawDir` into `output` with `mergeTool`. */
export async function mergeRawProfiles(mergeTool: string, rawDir: string, output: string): Promise<string> {
  const raws = readdirSync(rawDir)
    .filter((name) => name.endsWith('.profraw'))
    .map((name) => join(rawDir, name));
  if (raws.length === 0) throw new Error(`the training runs wrote no raw profile into ${rawDir}`);
  await mergeProfiles(mergeTool, output, raws, `${output}.inputs`);
  return output;
}

/** Creates (if needed) a directory for raw profiles and returns it. */
export function makeRawProfileDir(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}
