// Benchmarks one program: builds the variants, checks their outputs and code
// identity, times them interleaved over fresh page-cache copies and counts
// each workload's instructions and I1 misses.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifest } from '../../src/formats/manifest.js';
import { runByHandPipeline } from './by-hand.js';
import {
  summarizeTimings,
  type BuildTime,
  type CacheCounts,
  type ProgramResult,
  type SameTraining,
} from './bench-result.js';
import { readCodeIdentity } from './code-identity.js';
import { chooseDefaultCpu, ensureCpuTimeTool } from './cpu-time.js';
import { checkOutputs, measureInterleaved } from './measure.js';
import { buildNixAttr, writePackageEntry } from './nix-variants.js';
import type { OptimizedVariantSource } from './optimized-source.js';
import { checkDefaultDirUntouched, checkNoRawProfilesInOutputs } from './profile-checks.js';
import {
  DEFAULT_COPIES,
  DEFAULT_REPETITIONS,
  type Check,
  type LiveTrainingResult,
  type ProgramSpec,
} from './program-spec.js';
import { makeRawProfileDir, runTraining } from './training.js';
import type { PerVariant, Variant, VariantName } from './variants.js';
import { removeBoltProfiles, type BoltVariants } from './bolt-stage.js';
import { countCacheEvents } from './cachegrind.js';

export interface BenchOptions {
  /** Fresh page-cache copies per variant; null: the program's default. */
  copies: number | null;
  /** Interleaved repetitions per copy; null: the program's default. */
  repetitions: number | null;
  /** The processor timed runs are pinned to: a number, 'default' (the last one allowed), or null (not pinned). */
  cpu: number | 'default' | null;
  /** Scratch directory: out-links (GC roots), raw profiles, by-hand builds. */
  work: string;
  callgrind: boolean;
  nixPgo: OptimizedVariantSource;
  log: (line: string) => void;
}

export interface PreparedVariants {
  variants: Variant[];
  builds: BuildTime[];
  live: LiveTrainingResult | null;
  checks: Check[];
  bolt: BoltVariants | null;
  sameTraining: SameTraining;
}

/** Builds every variant of a program, training the instrumented ones on the training workloads. */
export async function prepareVariants(programSpec: ProgramSpec, options: BenchOptions): Promise<PreparedVariants> {
  const { work, log } = options;
  const startedMs = Date.now();
  const spec = writePackageEntry(programSpec, work);
  const minutes = (s: number) => `${(s / 60).toFixed(1)} min`;
  log(`${spec.name}: building vanilla and instrumented variants with Nix`);
  const vanilla = await buildNixAttr(spec, '', work);
  log(`${spec.name}: vanilla ${vanilla.built ? `built in ${minutes(vanilla.seconds)}` : 'from the store'}`);
  const instrumented = await buildNixAttr(spec, '.pgo.profile', work);
  log(
    `${spec.name}: instrumented ${instrumented.built ? `built in ${minutes(instrumented.seconds)}` : 'from the store'}`,
  );
  log(
    `${spec.name}: training the instrumented variant (${spec.train.length} workloads${spec.trainLive ? ', then a long-running part' : ''})`,
  );
  await runTraining(
    join(instrumented.storePath, spec.binary),
    spec.train,
    options.nixPgo.trainingProfileFile(spec),
    work,
    options.nixPgo.overlappingTraining,
  );
  log(`${spec.name}: nix-pgo optimized variant: ${options.nixPgo.label}`);
  const nixPgo = await options.nixPgo.optimizedVariant(spec, instrumented.storePath, log);
  log(
    `${spec.name}: nix-pgo optimized ${nixPgo.build.built ? `built in ${minutes(nixPgo.build.seconds)}` : 'from the store'}`,
  );
  const bolt = nixPgo.bolt;
  if (bolt) {
    const timing = (b: { built: boolean; seconds: number }) =>
      b.built ? `built in ${minutes(b.seconds)}` : 'from the store';
    log(`${spec.name}: BOLT-instrumented ${timing(bolt.instrumented)}, BOLT-optimized ${timing(bolt.optimized)}`);
    for (const f of bolt.files) log(`${spec.name}: BOLT ${f.path}: ${f.outcome}${f.reason ? ` (${f.reason})` : ''}`);
  }
  log(
    `${spec.name}: expert by-hand pipeline (generate; train on the training, real-use and measuring inputs; merge; use)`,
  );
  const byHand = await runByHandPipeline(spec, work, log);
  log(
    `${spec.name}: by-hand built in ${minutes(byHand.instrumentedSeconds)} (instrumented), ` +
      `${minutes(byHand.builds['by-hand'].seconds)} (optimized; real-use and oracle alike)`,
  );
  // Measuring runs of the instrumented variant write profiles too, as they would for a user.
  const measureRaw = makeRawProfileDir(join(work, `${spec.name}-measure-raw`));
  const env = process.env;
  const variants: Variant[] = [
    { name: 'vanilla', binary: join(vanilla.storePath, spec.binary), root: vanilla.storePath, env },
    {
      name: 'instrumented',
      binary: join(instrumented.storePath, spec.binary),
      root: instrumented.storePath,
      env: { ...env, LLVM_PROFILE_FILE: join(measureRaw, '%p-%m.profraw') },
    },
    { name: 'nix-pgo', binary: join(nixPgo.storePath, spec.binary), root: nixPgo.storePath, env },
    { name: 'by-hand', binary: byHand.builds['by-hand'].binary, root: byHand.builds['by-hand'].root, env },
    { name: 'real-use', binary: byHand.builds['real-use'].binary, root: byHand.builds['real-use'].root, env },
    { name: 'oracle', binary: byHand.builds.oracle.binary, root: byHand.builds.oracle.root, env },
    ...(bolt
      ? [
          {
            name: 'bolt-instrumented' as const,
            binary: join(bolt.instrumented.storePath, spec.binary),
            root: bolt.instrumented.storePath,
            env,
          },
          {
            name: 'nix-pgo+bolt' as const,
            binary: join(bolt.optimized.storePath, spec.binary),
            root: bolt.optimized.storePath,
            env,
          },
        ]
      : []),
  ];
  const manifestFile = join(instrumented.storePath, 'nix-support', 'pgo.json');
  const manifest = parseManifest(readFileSync(manifestFile, 'utf8'), manifestFile);
  const sameTraining = await describeSameTraining(spec, variants);
  const checks: Check[] = [
    ...(sameTraining.required ? [checkSameCode(sameTraining)] : []),
    checkNoRawProfilesInOutputs(variants),
    checkDefaultDirUntouched(
      manifest.defaultProfileDir,
      manifest.binaries.map((b) => b.buildId),
      startedMs,
    ),
    ...nixPgo.checks,
    ...(bolt?.checks ?? []),
    ...(spec.checks ? await spec.checks(variants, work) : []),
  ];
  const builds: BuildTime[] = [
    { variant: 'vanilla', seconds: vanilla.seconds, built: vanilla.built },
    { variant: 'instrumented', seconds: instrumented.seconds, built: instrumented.built },
    { variant: 'nix-pgo', seconds: nixPgo.build.seconds, built: nixPgo.build.built },
    { variant: 'by-hand instrumented', seconds: byHand.instrumentedSeconds, built: true },
    { variant: 'by-hand optimized', seconds: byHand.builds['by-hand'].seconds, built: true },
    { variant: 'real-use optimized', seconds: byHand.builds['real-use'].seconds, built: true },
    { variant: 'oracle optimized', seconds: byHand.builds.oracle.seconds, built: true },
    ...(bolt
      ? [
          { variant: 'bolt-instrumented', seconds: bolt.instrumented.seconds, built: bolt.instrumented.built },
          { variant: 'nix-pgo+bolt', seconds: bolt.optimized.seconds, built: bolt.optimized.built },
        ]
      : []),
  ];
  return { variants, builds, live: nixPgo.live, checks, bolt, sameTraining };
}

function binaryOf(variants: readonly Variant[], name: VariantName): string {
  const variant = variants.find((v) => v.name === name);
  if (!variant) throw new Error(`no ${name} variant`);
  return variant.binary;
}

/** nix-pgo and by-hand got the same build script and training: their .text and build IDs, side by side. */
export async function describeSameTraining(spec: ProgramSpec, variants: readonly Variant[]): Promise<SameTraining> {
  const nixPgo = await readCodeIdentity(binaryOf(variants, 'nix-pgo'));
  const byHand = await readCodeIdentity(binaryOf(variants, 'by-hand'));
  return {
    training: [...spec.train.map((w) => w.name), ...(spec.trainLive ? ['the long-running part'] : [])],
    nixPgo,
    byHand,
    identicalText: nixPgo.textSha256 === byHand.textSha256,
    sameInstructions: nixPgo.instructionsSha256 === byHand.instructionsSha256,
    required: spec.deterministicTraining !== false,
  };
}

function checkSameCode(same: SameTraining): Check {
  const short = (h: string) => h.slice(0, 16);
  return {
    name: 'nix-pgo and by-hand, given the same build and training, have the same instructions',
    ok: same.sameInstructions,
    detail:
      `${same.identicalText ? 'byte-identical .text' : same.sameInstructions ? 'same instructions, data addresses differ' : 'different instructions'}: .text sha256 ${short(same.nixPgo.textSha256)} (${same.nixPgo.textBytes} bytes) vs ${short(same.byHand.textSha256)} ` +
      `(${same.byHand.textBytes} bytes); build IDs ${same.nixPgo.buildId ?? 'none'} vs ${same.byHand.buildId ?? 'none'}`,
  };
}

export async function benchProgram(spec: ProgramSpec, options: BenchOptions): Promise<ProgramResult> {
  const { log } = options;
  mkdirSync(options.work, { recursive: true });
  const prepared = await prepareVariants(spec, options);
  // The BOLT-instrumented variant's measuring runs write BOLT profiles that no daemon takes.
  const measuringStartedMs = Date.now();
  try {
    return await measureProgram(spec, options, prepared);
  } finally {
    if (prepared.bolt) {
      const removed = removeBoltProfiles(prepared.bolt.boltDir, prepared.bolt.buildIds, measuringStartedMs);
      log(`${spec.name}: removed the ${removed} BOLT profile(s) the measuring runs of bolt-instrumented wrote`);
    }
  }
}

/** Cachegrind's counts of one run of every measuring workload on every variant (deterministic: taken two at a time). */
async function countPerWorkload(
  spec: ProgramSpec,
  variants: readonly Variant[],
  cwd: string,
): Promise<Record<string, Record<VariantName, CacheCounts>>> {
  const jobs = spec.measure.flatMap((workload) => variants.map((variant) => ({ workload, variant })));
  const counts = Object.fromEntries(spec.measure.map((w) => [w.name, {} as Record<VariantName, CacheCounts>]));
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const { workload, variant } = jobs[next++]!;
      counts[workload.name]![variant.name] = await countCacheEvents(variant.binary, workload, variant.env, cwd);
    }
  };
  await Promise.all([worker(), worker()]);
  return counts;
}

async function measureProgram(
  spec: ProgramSpec,
  options: BenchOptions,
  prepared: PreparedVariants,
): Promise<ProgramResult> {
  const { log } = options;
  const { variants, builds, live, checks, bolt, sameTraining } = prepared;
  const copies = options.copies ?? spec.defaultCopies ?? DEFAULT_COPIES;
  const repetitionsPerCopy = options.repetitions ?? spec.defaultRepetitions ?? DEFAULT_REPETITIONS;
  const cpu = options.cpu === 'default' ? chooseDefaultCpu() : options.cpu;
  const timer = { tool: await ensureCpuTimeTool(join(options.work, 'tools')), cpu };
  log(`${spec.name}: checking that every variant prints what vanilla prints`);
  const { outputs, malformed } = await checkOutputs(spec, variants, options.work);
  for (const m of malformed)
    checks.push({ name: `vanilla's output of ${m.workload} is well-formed`, ok: false, detail: m.problems.join('; ') });
  for (const check of checks.filter((c) => !c.ok)) log(`${spec.name}: CHECK FAILED: ${check.name}: ${check.detail}`);
  log(
    `${spec.name}: CPU time${cpu === null ? '' : ` pinned to processor ${cpu}`}, ${copies} fresh page-cache copies per variant ` +
      `x ${repetitionsPerCopy} interleaved repetitions of ${spec.measure.length} measuring workloads`,
  );
  const timings = await measureInterleaved(spec, variants, {
    timer,
    copies,
    repetitionsPerCopy,
    copyDir: join(options.work, 'copies'),
    cwd: options.work,
    onSample: (sample, of) => {
      if (sample % repetitionsPerCopy === 0)
        log(`${spec.name}: sample ${sample}/${of} (copy ${sample / repetitionsPerCopy})`);
    },
  });
  let counts: Record<string, PerVariant<CacheCounts>> | null = null;
  if (options.callgrind) {
    log(
      `${spec.name}: counting instructions and simulating the instruction cache (cachegrind) of every workload and variant`,
    );
    counts = (await countPerWorkload(spec, variants, options.work)) as Record<string, PerVariant<CacheCounts>>;
  }
  return {
    program: spec.name,
    nixPgoSource: options.nixPgo.label,
    variants: Object.fromEntries(variants.map((v) => [v.name, v.binary])) as PerVariant<string>,
    trainingWorkloads: [...spec.train.map((w) => w.name), ...(live ? [live.program] : [])],
    realUseWorkloads: spec.realUse.map((w) => w.name),
    measuringWorkloads: spec.measure.map((w) => w.name),
    outputs,
    outputsIdentical: outputs.every((check) => check.identical),
    builds,
    live,
    checks,
    checksPassed: checks.every((check) => check.ok),
    sameTraining,
    boltFiles: bolt?.files ?? null,
    ...summarizeTimings(timings, counts),
  };
}
