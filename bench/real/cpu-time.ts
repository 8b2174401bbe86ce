// CPU time of one run, pinned to one processor: the helper cpu-time.c forks,
// pins and waits for the program and prints the kernel's accounting of it
// (user and system time to the microsecond), which Node cannot read itself.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/process/run.js';
import { benchRoot } from './paths.js';
import type { Workload } from './program-spec.js';

const RUN_TIMEOUT_MS = 10 * 60_000;
const SOURCE = join(benchRoot, 'cpu-time.c');

/** What the kernel accounted to one finished run (its own process and the children it waited for). */
export interface RunUsage {
  userSeconds: number;
  systemSeconds: number;
  /** user + system: what the benchmark compares. */
  cpuSeconds: number;
  /** Fork to exit, for reference: it includes waiting for the processor and the disk. */
  wallSeconds: number;
  maxRssKb: number;
  /** Pages read from disk: non-zero in a timed run means its file was not in the page cache. */
  majorFaults: number;
  minorFaults: number;
  voluntarySwitches: number;
  /** Times another task took the processor: how contended the pinned processor was. */
  involuntarySwitches: number;
  /** The processor it was pinned to, or null. */
  pinnedCpu: number | null;
}

const USAGE_LINE = /\ncpu-time: (-?\d+(?: -?\d+){8})\n?$/;

/** Parses the line cpu-time prints last on stderr; returns it and the command's own stderr. */
export function parseUsageLine(stderr: string): { usage: RunUsage; stderr: string } {
  const match = USAGE_LINE.exec(stderr);
  if (!match) throw new Error(`cpu-time printed no usage line:\n${stderr.slice(-2000)}`);
  const [user, system, wall, maxRss, majflt, minflt, nvcsw, nivcsw, pinned] = match[1]!.split(' ').map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return {
    usage: {
      userSeconds: user / 1e6,
      systemSeconds: system / 1e6,
      cpuSeconds: (user + system) / 1e6,
      wallSeconds: wall / 1e6,
      maxRssKb: maxRss,
      majorFaults: majflt,
      minorFaults: minflt,
      voluntarySwitches: nvcsw,
      involuntarySwitches: nivcsw,
      pinnedCpu: pinned < 0 ? null : pinned,
    },
    stderr: stderr.slice(0, match.index),
  };
}

/** The processors this process may run on, from `Cpus_allowed_list` ("0-1,3"). */
export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.trim().split(',').filter(Boolean)) {
    const [from, to] = part.split('-').map(Number) as [number, number | undefined];
    for (let cpu = from; cpu <= (to ?? from); cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** The last processor this process may run on: the one a benchmark pins to unless told. */
export function chooseDefaultCpu(): number {
  const line = /^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  const cpus = line ? parseCpuList(line[1]!) : [];
  if (cpus.length === 0) throw new Error('cannot read the processors this process may run on (/proc/self/status)');
  return cpus.at(-1)!;
}

/** Compiles the helper into `dir` unless an up-to-date one is there; returns its path. */
export async function ensureCpuTimeTool(dir: string): Promise<string> {
  const tool = join(dir, 'cpu-time');
  if (existsSync(tool) && statSync(tool).mtimeMs >= statSync(SOURCE).mtimeMs) return tool;
  mkdirSync(dir, { recursive: true });
  await run('cc', ['-O2', '-Wall', '-o', tool, SOURCE], {
    installHint: 'a C compiler (cc) builds the timing helper: apt-get install gcc',
  });
  return tool;
}

/** How timed runs are made: the helper and the processor (null: not pinned). */
export interface Timer {
  tool: string;
  cpu: number | null;
}

/** Runs one workload under the helper; returns its stdout and what the kernel accounted to it. */
export async function runTimed(
  timer: Timer,
  binary: string,
  workload: Workload,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<{ stdout: string; usage: RunUsage }> {
  const { stdout, stderr } = await run(
    timer.tool,
    [timer.cpu === null ? '-' : String(timer.cpu), binary, ...workload.args],
    { env, cwd, input: workload.stdin, timeoutMs: RUN_TIMEOUT_MS },
  );
  return { stdout, usage: parseUsageLine(stderr).usage };
}
