/**
 * Benchmark (not a test): the engine's harvest-and-merge pass over N raw
 * profiles spread over P packages, against calling `llvm-profdata merge`
 * directly on the same files, one call per package. Prints, per repetition,
 * both sides' wall time and CPU time (user + system of this process and the
 * processes it waited for), then the median of each ratio (target ≤ 1.10 in
 * wall time). Wall time includes waiting for the disk, which is the point on a
 * user's disk but noisy on a shared one; CPU time is the steadier check. The
 * files live under $TMPDIR (the file system type is printed: measure on ext4).
 * CPU time is split into this process's own (the engine's harvest, checks and
 * bookkeeping) and its children's (the llvm-profdata processes). `--functions N`
 * gives each program N more functions, so each raw profile is about N × 90
 * bytes bigger: the default programs write 0.5 KB profiles, where per-file work
 * is all there is; a real program's profile is hundreds of KB.
 * Usage: node dist/bench/merge-bench.js [--packages 50] [--profiles 10000] [--repeat 3] [--functions 0]
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openTestCollector } from '../test/support/collector.js';
import { parseManifest } from '../src/formats/manifest.js';
import { parseRawProfile } from '../src/formats/raw-profile.js';
import { run } from '../src/process/run.js';
import { stateLayout } from '../src/state/state-layout.js';
import {
  buildClangExample,
  LLVM_PROFDATA,
  runExample,
  scanTestSpool,
  tempDir,
  LIB_C,
  type Example,
  type ExampleSources,
} from '../test/support/spool-fixture.js';

const { values } = parseArgs({
  options: {
    packages: { type: 'string', default: '50' },
    profiles: { type: 'string', default: '10000' },
    repeat: { type: 'string', default: '3' },
    functions: { type: 'string', default: '0' },
  },
});
const packageCount = Number(values.packages);
const perPackage = Math.max(1, Math.round(Number(values.profiles) / packageCount));
const repeat = Math.max(1, Number(values.repeat));
const extraFunctions = Math.max(0, Number(values.functions));

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const { stdout: ticks } = await run('getconf', ['CLK_TCK']);
const TICKS_PER_SECOND = Number(ticks.trim());

/** CPU seconds so far of this process (all its threads) and of the children it waited for (/proc/self/stat). */
function cpuSeconds(): { self: number; children: number } {
  // The fields after the command name, which is in parentheses and may hold spaces.
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // utime, stime, cutime, cstime are fields 14-17 of the line, 12-15 after the name.
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map((f) => Number(f) / TICKS_PER_SECOND);
  return { self: utime! + stime!, children: cutime! + cstime! };
}

interface Sample {
  wall: number;
  cpu: number;
  /** This process's share of `cpu`; the rest is its children's. */
  cpuSelf: number;
}

async function timed(work: () => Promise<unknown>): Promise<Sample> {
  const cpu = cpuSeconds();
  const start = process.hrtime.bigint();
  await work();
  const wall = seconds(start);
  const after = cpuSeconds();
  const self = after.self - cpu.self;
  return { wall, cpu: self + after.children - cpu.children, cpuSelf: self };
}

/** The default example program with `count` more functions, each run once, for profiles of a real program's size. */
function programWith(count: number): ExampleSources | undefined {
  if (count === 0) return undefined;
  const functions = Array.from(
    { length: count },
    (_, i) => `__attribute__((noinline)) int f${i}(int x) { return x % 7 == ${i % 7} ? x * 3 + ${i} : x - ${i}; }`,
  );
  const calls = Array.from({ length: count }, (_, i) => `  s += f${i}(s + ${i});`);
  return {
    lib: LIB_C,
    prog: `#include <stdio.h>
int lib_work(int n);
${functions.join('\n')}
int main(void) {
  int s = lib_work(50);
${calls.join('\n')}
  printf("%d\\n", s);
  return 0;
}
`,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The executable's raw profile of each package (the larger of its two %m files), from one real run each. */
async function sampleProfiles(root: string, examples: readonly Example[]): Promise<string[]> {
  const samples = join(root, 'samples');
  for (const example of examples) await runExample(example, samples);
  const files = scanTestSpool(samples).files.map((f) => f.path);
  return examples.map((example) => {
    const ids = new Set(
      parseManifest(readFileSync(example.manifestPath, 'utf8'), example.manifestPath).binaries.map((b) => b.buildId),
    );
    const mine = files.filter((f) => {
      const parsed = parseRawProfile(readFileSync(f));
      return parsed.ok && parsed.segments.some((s) => s.binaryIds.some((id) => ids.has(id)));
    });
    return mine.sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0]!;
  });
}

/** One repetition on fresh copies: returns [direct, engine]. */
async function measure(
  root: string,
  examples: readonly Example[],
  samples: readonly string[],
): Promise<[Sample, Sample]> {
  const locations = stateLayout(join(root, 'state'));
  // This user's own directory of the spool, as its programs' writer makes it.
  const spoolLlvm = join(locations.spoolDir, 'llvm', String(process.getuid?.() ?? 0));
  mkdirSync(spoolLlvm, { recursive: true, mode: 0o700 });
  const directInputs: string[][] = [];
  for (const [i, sample] of samples.entries()) {
    const dir = join(root, 'direct', String(i));
    mkdirSync(dir, { recursive: true });
    const inputs: string[] = [];
    for (let k = 0; k < perPackage; k++) {
      copyFileSync(sample, join(spoolLlvm, `${k}-${i}_0.profraw`));
      copyFileSync(sample, join(dir, `${k}.profraw`));
      inputs.push(join(dir, `${k}.profraw`));
    }
    directInputs.push(inputs);
  }
  // Programs write their profiles long before a harvest; flush the fresh copies so neither side pays their writeback.
  await run('sync', []);

  const direct = await timed(async () => {
    for (const [i, inputs] of directInputs.entries())
      await run(LLVM_PROFDATA, ['merge', '-o', join(root, 'direct', `${i}.profdata`), ...inputs]);
  });

  const engine = openTestCollector({
    layout: locations,
    packages: examples.map((e) => ({ name: e.name, manifestPath: e.manifestPath })),
  });
  let report: Awaited<ReturnType<typeof engine.runOnce>> | undefined;
  const engineSample = await timed(async () => {
    report = await engine.runOnce();
  });
  engine.close();
  if (report?.harvested.taken !== packageCount * perPackage || report.errors.length > 0) {
    throw new Error(
      `engine took ${report?.harvested.taken} of ${packageCount * perPackage} files; errors: ${JSON.stringify(report?.errors)}`,
    );
  }
  return [direct, engineSample];
}

function describeCpu(sample: Sample): string {
  return `cpu ${sample.cpu.toFixed(2)} s: ${sample.cpuSelf.toFixed(2)} own, ${(sample.cpu - sample.cpuSelf).toFixed(2)} llvm-profdata`;
}

const root = tempDir('bench-merge');
process.stderr.write(`building ${packageCount} instrumented packages...\n`);
const examples: Example[] = [];
for (let i = 0; i < packageCount; i++)
  examples.push(await buildClangExample(root, `bench${i}`, programWith(extraFunctions)));
const samples = await sampleProfiles(root, examples);
const profileBytes = samples.reduce((sum, s) => sum + readFileSync(s).length, 0) / samples.length;

const { stdout: fsType } = await run('findmnt', ['-n', '-o', 'FSTYPE', '--target', root]);
const lines = [
  `profiles: ${packageCount * perPackage}, packages: ${packageCount}, file system: ${fsType.trim()}, ` +
    `${(profileBytes / 1024).toFixed(1)} KiB per profile`,
];
const wallRatios: number[] = [];
const cpuRatios: number[] = [];
for (let r = 0; r < repeat; r++) {
  const [direct, engine] = await measure(join(root, `rep${r}`), examples, samples);
  wallRatios.push(engine.wall / direct.wall);
  cpuRatios.push(engine.cpu / direct.cpu);
  lines.push(
    `run ${r + 1}: llvm-profdata merge directly ${direct.wall.toFixed(3)} s (${describeCpu(direct)}), ` +
      `engine pass (harvest + merge + metrics) ${engine.wall.toFixed(3)} s (${describeCpu(engine)})`,
  );
  rmSync(join(root, `rep${r}`), { recursive: true, force: true });
}
lines.push(
  `ratio engine/direct: wall ${median(wallRatios).toFixed(3)} (target <= 1.10), cpu ${median(cpuRatios).toFixed(3)}, medians of ${repeat}`,
);
process.stdout.write(`${lines.join('\n')}\n`);
rmSync(root, { recursive: true, force: true });
