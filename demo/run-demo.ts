/**
 * The README's main job: the whole loop, by the real daemon, on the example
 * package set. Profiling variants are built and switched in, a training
 * workload runs, the daemon harvests, merges, reaches the threshold, builds and
 * switches; then the status and the speed before and after are printed.
 *
 *   npm run demo            (scripts/demo.sh installs what is missing first)
 */
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readConfig } from '../src/config/read-config.js';
import { run, startBackground } from '../src/process/run.js';
import { spoolEnvironment } from '../src/spool/spool-environment.js';
import { nixBuild } from '../src/tools/nix-build.js';
import type { Status } from '../src/status/collect-status.js';
import { renderProgressBar } from '../src/status/render-status.js';

const root = resolve(import.meta.dirname, '../..');
const cli = join(root, 'dist/src/cli/main.js');
const work = mkdtempSync(join(tmpdir(), 'nix-pgo-demo-'));
// The embedded defaults put state under $XDG_STATE_HOME/nix-pgo; a fresh one per demo.
const env = { ...process.env, XDG_STATE_HOME: join(work, 'state-home') };

/** What each example is trained on, and the different input it is measured on. */
const workloads: Record<string, { train: string[][]; measure: string[]; input?: string }> = {
  calc: { train: [['3'], ['2', 'sort'], ['4', 'hash'], ['2', 'primes']], measure: ['40'] },
  strict: { train: [['300000'], ['200000']], measure: ['3000000'] },
  wordfreq: { train: [[], []], measure: [], input: 'wordfreq' },
};

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function nixPgo(args: string[]): Promise<string> {
  return (await run(process.execPath, [cli, ...args], { env })).stdout;
}

async function status(configFile: string): Promise<Status> {
  return JSON.parse(await nixPgo(['status', '--config', configFile, '--json'])) as Status;
}

async function waitUntil(what: string, configFile: string, done: (s: Status) => boolean, timeoutMs = 900_000): Promise<Status> {
  const until = Date.now() + timeoutMs;
  let shown = '';
  for (;;) {
    const s = await status(configFile);
    const line = s.packages.map((p) => `${p.name}: ${p.state} ${renderProgressBar(p.progress, 10)}`).join('   ');
    if (line !== shown) say(`  ${line}`);
    shown = line;
    if (done(s)) return s;
    if (Date.now() > until) throw new Error(`the demo timed out waiting for ${what}; see ${join(work, 'daemon.log')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A large text for wordfreq: the repo's own sources, many times over. */
async function corpus(): Promise<string> {
  const files = ['examples/pkgs/calc/src/main.c', 'examples/pkgs/wordfreq/src/wordfreq.c', 'README.md', 'docs/nix-library.md'];
  const texts = await Promise.all(files.map(async (f) => (await run('cat', [join(root, f)])).stdout));
  return texts.join('\n').repeat(40);
}

async function timeRun(program: string, args: string[], input?: string): Promise<number> {
  const start = process.hrtime.bigint();
  await run(program, args, { input });
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const configFile = join(work, 'config.json');
writeFileSync(
  configFile,
  JSON.stringify({ nixFile: join(root, 'examples'), policy: { thresholdMB: 0.002 }, packages: { calc: {}, strict: {}, wordfreq: {} } }, null, 2),
);
const config = await readConfig({ file: configFile, env });
say(`nix-pgo demo in ${work}`);
say(`config: ${configFile} (three example packages; state in ${config.stateDir})`);

say('\n==> starting the daemon: it builds the profiling variants and puts them into the Nix profile');
const daemon = startBackground(process.execPath, [cli, 'daemon', '--config', configFile], { env });
try {
  await waitUntil('the profiling variants', configFile, (s) => s.packages.every((p) => p.activeVariant === 'profile'));
  const bin = join(config.nixProfile, 'bin');
  say(`profile: ${config.nixProfile} → ${realpathSync(config.nixProfile)}`);

  say('\n==> training: running the instrumented programs (profiles go to the spool, the daemon harvests them)');
  const spoolEnv = { ...process.env, ...spoolEnvironment(config.spoolDir, process.getuid!()) };
  const text = await corpus();
  // Train in rounds until every package has collected its threshold of data.
  for (let round = 1; round <= 30; round++) {
    const before = await status(configFile);
    const pending = before.packages.filter((p) => p.progress < 1 && p.state !== 'optimized');
    if (pending.length === 0) break;
    for (const p of pending) {
      const w = workloads[p.name]!;
      for (const args of w.train) await run(join(bin, p.name), args, { env: spoolEnv, input: w.input ? text : undefined });
    }
    say(`  round ${round}: ran ${pending.map((p) => p.name).join(', ')}`);
    await new Promise((r) => setTimeout(r, 800));
  }
  say('\n==> waiting for the daemon to reach the threshold, build and switch');
  await waitUntil('the optimized variants', configFile, (s) => s.packages.every((p) => p.state === 'optimized' || (p.lastBuild !== null && !p.lastBuild.ok)));
  say(`\n${await nixPgo(['status', '--config', configFile])}`);

  say('==> speed on inputs the training did not use (median of 9 interleaved runs each)');
  const active = await status(configFile);
  for (const p of active.packages) {
    const w = workloads[p.name]!;
    const vanilla = (await nixBuild({ file: join(root, 'examples'), attr: p.name })).storePath;
    const profiling = (await nixBuild({ file: join(root, 'examples'), attr: `${p.name}.pgo.profile` })).storePath;
    const input = w.input ? text : undefined;
    const times = { vanilla: [] as number[], instrumented: [] as number[], optimized: [] as number[] };
    const quiet = { ...process.env, LLVM_PROFILE_FILE: '/dev/null', GCOV_PREFIX: join(work, 'discard') };
    for (let i = 0; i < 9; i++) {
      times.vanilla.push(await timeRun(join(vanilla, 'bin', p.name), w.measure, input));
      times.optimized.push(await timeRun(join(p.activePath!, 'bin', p.name), w.measure, input));
      const start = process.hrtime.bigint();
      await run(join(profiling, 'bin', p.name), w.measure, { input, env: quiet });
      times.instrumented.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    const v = median(times.vanilla);
    const o = median(times.optimized);
    const n = median(times.instrumented);
    say(`  ${p.name.padEnd(9)} vanilla ${v.toFixed(1)} ms, optimized ${o.toFixed(1)} ms (speedup ×${(v / o).toFixed(3)}), instrumented ${n.toFixed(1)} ms (×${(n / v).toFixed(2)} slower)`);
  }
  say('\nTimings on a shared machine are noisy; see docs/benchmarks.md for the real benchmark.');
  say(`Roll back with: node ${cli} rollback --config ${configFile}`);
} finally {
  daemon.kill('SIGTERM');
  await daemon.exited;
  writeFileSync(join(work, 'daemon.log'), daemon.output());
  say(`daemon log: ${join(work, 'daemon.log')}`);
}
