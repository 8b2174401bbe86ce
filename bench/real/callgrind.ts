// Instruction counts under valgrind's callgrind: deterministic, so a second
// opinion that machine noise cannot blur.
import { run } from '../../src/process/run.js';
import type { Workload } from './program-spec.js';

export const VALGRIND_INSTALL_HINT =
  'install valgrind: scripts/ensure-bench-deps.sh (Debian: apt-get install valgrind)';

/** Parses the `Collected : N` line callgrind prints at exit. */
export function parseCollected(stderr: string): number {
  const match = /Collected\s*:\s*(\d+)/.exec(stderr);
  if (!match) throw new Error(`callgrind printed no "Collected" line:\n${stderr.slice(-2000)}`);
  return Number(match[1]);
}

/** Instructions executed by one run of the workload (the program's own process only). */
export async function countInstructions(
  binary: string,
  workload: Workload,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<number> {
  const { stderr } = await run(
    'valgrind',
    ['--tool=callgrind', '--callgrind-out-file=/dev/null', binary, ...workload.args],
    { env, cwd, input: workload.stdin, installHint: VALGRIND_INSTALL_HINT, timeoutMs: 30 * 60_000 },
  );
  return parseCollected(stderr);
}

export async function isValgrindAvailable(): Promise<boolean> {
  try {
    await run('valgrind', ['--version']);
    return true;
  } catch {
    return false;
  }
}
