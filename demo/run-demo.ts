/**
 * The README's main job: the whole loop, by the real daemon, on the example
 * package set. Profiling variants are built and switched in, a training
 * workload runs, the daemon harvests, merges, reaches the threshold, builds and
 * switches; then the status and the speed before and after are printed, with
 * the spread of the runs, and the commands to look further (each works as
 * printed: the demo's config names its own state directory).
 *
 *   npm run demo                               (scripts/demo.sh installs what is missing first)
 *   npm run demo -- --packages minivm --runs 21
 */
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { summarize, pairRatios } from '../bench/real/statistics.js';
import { run, startBackground } from '../src/process/run.js';
import { nixBuild } from '../src/tools/nix-build.js';
import type { Status } from '../src/status/collect-status.js';
import { renderProgressBar } from '../src/status/render-status.js';

const root = resolve(import.meta.dirname, '../..');
const cli = join(root, 'dist/src/cli/main.js');
const programs = join(root, 'examples/pkgs/minivm/src/programs');

/** What each example is trained on, and the different input it is measured on. */
const workloads: Record<string, { about: string; train: string[][]; measure: string[]; input?: boolean }> = {
  calc: {
    about: 'a small C program and its shared library',
    train: [['3'], ['2', 'sort'], ['4', 'hash'], ['2', 'primes']],
    measure: ['40'],
  },
  strict: { about: 'a tiny stack machine built with -Werror', train: [['300000'], ['200000']], measure: ['3000000'] },
  wordfreq: { about: 'word counting, built with GCC', train: [[], []], measure: [], input: true },
  minivm: {
    about: 'an interpreter: trained on three programs, measured on a fourth',
    train: [
      [join(programs, 'collatz.vm'), '30000'],
      [join(programs, 'fib.vm'), '20000'],
      [join(programs, 'sort.vm'), '800'],
    ],
    measure: [join(programs, 'sieve.vm'), '3000000'],
  },
};

const { values: options } = parseArgs({
  options: {
    packages: { type: 'string', default: Object.keys(workloads).join(',') },
    runs: { type: 'string', default: '11' },
  },
});
const names = options.packages.split(',').filter(Boolean);
const unknown = names.filter((n) => !(n in workloads));
if (unknown.length > 0 || names.length === 0)
  throw new Error(`--packages: choose from ${Object.keys(workloads).join(', ')} (not ${unknown.join(', ')})`);
const runs = Number(options.runs);
if (!Number.isInteger(runs) || runs < 3)
  throw new Error(`--runs must be a whole number of at least 3, not ${options.runs}`);

const work = mkdtempSync(join(tmpdir(), 'nix-pgo-demo-'));
const configFile = join(work, 'config.json');

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** The commands the demo runs itself are the ones it prints at the end: no environment of its own. */
async function nixPgo(args: string[]): Promise<string> {
  return (await run(process.execPath, [cli, ...args])).stdout;
}

async function status(): Promise<Status> {
  return JSON.parse(await nixPgo(['status', '--config', configFile, '--json'])) as Status;
}

async function waitUntil(what: string, done: (s: Status) => boolean, timeoutMs = 900_000): Promise<Status> {
  const until = Date.now() + timeoutMs;
  let shown = '';
  for (;;) {
    const s = await status();
    const line = s.packages.map((p) => `${p.name}: ${p.state} ${renderProgressBar(p.progress, 10)}`).join('   ');
    if (line !== shown) say(`  ${line}`);
    shown = line;
    if (done(s)) return s;
    if (Date.now() > until) throw new Error(`the demo timed out waiting for ${what}; see ${join(work, 'daemon.log')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The environment a user's shell has after `eval "$(nix-pgo env)"`: whatever that command prints. */
async function trainingEnvironment(): Promise<NodeJS.ProcessEnv> {
  const { stdout } = await run('/bin/sh', [
    '-c',
    'eval "$("$0" "$1" env --config "$2")" && env -0',
    process.execPath,
    cli,
    configFile,
  ]);
  return Object.fromEntries(
    stdout
      .split('\0')
      .filter(Boolean)
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/** A large text for wordfreq: the repo's own sources, many times over. */
async function corpus(): Promise<string> {
  const files = [
    'examples/pkgs/calc/src/main.c',
    'examples/pkgs/wordfreq/src/wordfreq.c',
    'README.md',
    'docs/nix-library.md',
  ];
  const texts = await Promise.all(files.map(async (f) => (await run('cat', [join(root, f)])).stdout));
  return texts.join('\n').repeat(40);
}

async function timeRun(program: string, args: string[], input?: string, env?: NodeJS.ProcessEnv): Promise<number> {
  const start = process.hrtime.bigint();
  await run(program, args, { input, env });
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const x = (ratio: number): string => `×${ratio.toFixed(2)}`;

/** A word as a POSIX shell reads it back, so that a printed command works when pasted. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

writeFileSync(
  configFile,
  JSON.stringify(
    {
      // Named here, so that every command given this config acts on the demo's state, not the user's.
      stateDir: join(work, 'state'),
      nixFile: join(root, 'examples'),
      policy: { thresholdCounts: 2e6 },
      packages: Object.fromEntries(names.map((n) => [n, {}])),
    },
    null,
    2,
  ),
);
say(`nix-pgo demo in ${work}`);
say(`config: ${configFile} (state in ${join(work, 'state')})`);
for (const n of names) say(`  ${n.padEnd(9)} ${workloads[n]!.about}`);

say('\n==> starting the daemon: it builds the profiling variants and puts them into the Nix profile');
const daemon = startBackground(process.execPath, [cli, 'daemon', '--config', configFile]);
try {
  const started = await waitUntil('the profiling variants', (s) =>
    s.packages.every((p) => p.activeVariant === 'profile'),
  );
  const bin = join(started.nixProfile, 'bin');
  say(`profile: ${started.nixProfile} → ${realpathSync(started.nixProfile)}`);

  say(
    '\n==> training: running the instrumented programs with the variables of `nix-pgo env` (the daemon harvests what they write)',
  );
  const trainingEnv = await trainingEnvironment();
  const text = await corpus();
  // Train in rounds until every package has collected its threshold of data.
  for (let round = 1; round <= 30; round++) {
    const before = await status();
    const pending = before.packages.filter((p) => p.progress < 1 && p.state !== 'optimized');
    if (pending.length === 0) break;
    for (const p of pending) {
      const w = workloads[p.name]!;
      for (const args of w.train)
        await run(join(bin, p.name), args, { env: trainingEnv, input: w.input ? text : undefined });
    }
    say(`  round ${round}: ran ${pending.map((p) => p.name).join(', ')}`);
    await new Promise((r) => setTimeout(r, 800));
  }
  say('\n==> waiting for the daemon to reach the threshold, build and switch');
  await waitUntil('the optimized variants', (s) =>
    s.packages.every((p) => p.state === 'optimized' || (p.lastBuild !== null && !p.lastBuild.ok)),
  );
  say(`\n${await nixPgo(['status', '--config', configFile])}`);

  say(`==> speed on inputs the training did not use: ${runs} interleaved runs of each variant`);
  say(
    '    speedup = plain build ÷ optimized build, per run; the median, and the middle half of the runs (IQR) to show the noise',
  );
  const active = await status();
  const quiet = { ...process.env, LLVM_PROFILE_FILE: '/dev/null', GCOV_PREFIX: join(work, 'discard') };
  for (const p of active.packages) {
    if (p.state !== 'optimized' || !p.activePath) {
      say(`  ${p.name.padEnd(9)} not optimized (${p.reason}); nothing to measure`);
      continue;
    }
    const w = workloads[p.name]!;
    const plain = (await nixBuild({ file: join(root, 'examples'), attr: p.name })).storePath;
    const profiling = (await nixBuild({ file: join(root, 'examples'), attr: `${p.name}.pgo.profile` })).storePath;
    const input = w.input ? text : undefined;
    const times = { plain: [] as number[], optimized: [] as number[], instrumented: [] as number[] };
    for (let i = 0; i < runs; i++) {
      times.plain.push(await timeRun(join(plain, 'bin', p.name), w.measure, input));
      times.optimized.push(await timeRun(join(p.activePath, 'bin', p.name), w.measure, input));
      times.instrumented.push(await timeRun(join(profiling, 'bin', p.name), w.measure, input, quiet));
    }
    const speedup = summarize(pairRatios(times.plain, times.optimized));
    const slowdown = summarize(pairRatios(times.instrumented, times.plain));
    const plainMs = summarize(times.plain).median;
    say(
      `  ${p.name.padEnd(9)} speedup ${x(speedup.median)} (IQR ${x(speedup.q1)}–${x(speedup.q3)}, min–max ${x(speedup.min)}–${x(speedup.max)});` +
        ` plain ${plainMs.toFixed(0)} ms; the instrumented build takes ${x(slowdown.median)} the plain time`,
    );
  }
  say('\nA speedup whose IQR includes ×1.00 is noise: that package gains nothing measurable from its profile.');
  say('Timings on a shared machine are noisy; see docs/benchmarks.md for the real benchmark.');
} finally {
  daemon.kill('SIGTERM');
  await daemon.exited;
  writeFileSync(join(work, 'daemon.log'), daemon.output());
  say(`daemon log: ${join(work, 'daemon.log')}`);
}
say("\nThe daemon has stopped. To look further (these act on the demo's state, not yours):");
for (const command of ['status', 'rollback'])
  say(`  ${['node', cli, command, '--config', configFile].map(shellWord).join(' ')}`);
