// Instructions executed, and cachegrind's simulated instruction cache and
// branch predictor: deterministic counts that machine noise cannot blur, so a
// reader can tell code (instructions) from layout (I1 misses, which BOLT
// moves without changing the instructions) beside every time. Its `I refs`
// is the instruction count callgrind reports as `Collected`, but for the
// few thousand instructions each tool's own start-up adds.
import { run } from '../../src/process/run.js';
import type { CacheCounts } from './bench-result.js';
import type { Workload } from './program-spec.js';

export const VALGRIND_INSTALL_HINT =
  'install valgrind: scripts/ensure-bench-deps.sh (Debian: apt-get install valgrind)';

export async function isValgrindAvailable(): Promise<boolean> {
  try {
    await run('valgrind', ['--version']);
    return true;
  } catch {
    return false;
  }
}

/**
 * A fixed cache geometry (32 KiB 8-way L1s, 8 MiB 16-way last level, 64-byte
 * lines), so the counts do not depend on the machine valgrind runs on.
 */
export const CACHE_GEOMETRY = ['--I1=32768,8,64', '--D1=32768,8,64', '--LL=8388608,16,64'] as const;

function field(stderr: string, label: string): number {
  const match = new RegExp(`^==\\d+==\\s+${label}:\\s+([\\d,]+)`, 'm').exec(stderr);
  if (!match) throw new Error(`cachegrind printed no "${label}" line:\n${stderr.slice(-2000)}`);
  return Number(match[1]!.replace(/,/g, ''));
}

/** Parses the summary cachegrind prints at exit (with --cache-sim=yes --branch-sim=yes). */
export function parseCachegrindSummary(stderr: string): CacheCounts {
  return {
    instructions: field(stderr, 'I\\s+refs'),
    i1Misses: field(stderr, 'I1\\s+misses'),
    branches: field(stderr, 'Branches'),
    mispredicts: field(stderr, 'Mispredicts'),
  };
}

/** I1 misses and mispredicted branches of one run of the workload (the program's own process only). */
export async function countCacheEvents(
  binary: string,
  workload: Workload,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<CacheCounts> {
  const { stderr } = await run(
    'valgrind',
    [
      '--tool=cachegrind',
      '--cache-sim=yes',
      '--branch-sim=yes',
      ...CACHE_GEOMETRY,
      '--cachegrind-out-file=/dev/null',
      binary,
      ...workload.args,
    ],
    { env, cwd, input: workload.stdin, installHint: VALGRIND_INSTALL_HINT, timeoutMs: 30 * 60_000 },
  );
  return parseCachegrindSummary(stderr);
}
