// Benchmarks one program: builds the four variants, checks their outputs,
// times them interleaved and counts their instructions.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifest } from '../../src/formats/manifest.js';
import { runByHandPipeline } from './by-hand.js';
import {
  computeInstructionRatios,
  summarizeTimings,
  type BuildTime,
  type CacheCounts,
  type ProgramResult,
} from './bench-result.js';
import { countInstructions } from './callgrind.js';
import { evictFromPageCache, listFiles } from './evict-page-cache.js';
import { checkOutputs, measureInterleaved } from './measure.js';
import { buildNixAttr, writePackageEntry } from './nix-variants.js';
import type { OptimizedVariantSource } from './optimized-source.js';
import { checkDefaultDirUntouched, checkNoRawProfilesInOutputs } from './profile-checks.js';
import {
  DEFAULT_REPETITIONS,
  type Check,
  type LiveTrainingResult,
  type ProgramSpec,
  type Workload,
} from './program-spec.js';
import { makeRawProfileDir, runTraining } from './training.js';
import type { PerVariant, Variant, VariantName } from './variants.js';
import { removeBoltProfiles, type BoltVariants } from './bolt-stage.js';
import { countCacheEvents } from './cachegrind.js';

export interface BenchOptions {
  /** Interleaved repetitions; null: the program's default. */
  repetitions: number | null;
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
  log(`${spec.name}: expert by-hand pipeline (generate, train, merge, use)`);
  const byHand = await runByHandPipeline(spec, work, log);
  log(
    `${spec.name}: by-hand built in ${minutes(byHand.buildSeconds.instrumented)} (instrumented) and ${minutes(byHand.buildSeconds.optimized)} (optimized)`,
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
    { name: 'by-hand', binary: byHand.optimized, root: byHand.optimizedRoot, env },
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
  const checks: Check[] = [
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
    { variant: 'by-hand instrumented', seconds: byHand.buildSeconds.instrumented, built: true },
    { variant: 'by-hand optimized', seconds: byHand.buildSeconds.optimized, built: true },
    ...(bolt
      ? [
          { variant: 'bolt-instrumented', seconds: bolt.instrumented.seconds, built: bolt.instrumented.built },
          { variant: 'nix-pgo+bolt', seconds: bolt.optimized.seconds, built: bolt.optimized.built },
        ]
      : []),
  ];
  return { variants, builds, live: nixPgo.live, checks, bolt };
}

export async function benchProgram(spec: ProgramSpec, options: BenchOptions): Promise<ProgramResult> {
  const { log } = options;
  const repetitions = options.repetitions ?? spec.defaultRepetitions ?? DEFAULT_REPETITIONS;
  mkdirSync(options.work, { recursive: true });
  const { variants, builds, live, checks, bolt } = await prepareVariants(spec, options);
  // The BOLT-instrumented variant's measuring runs write BOLT profiles that no daemon takes.
  const measuringStartedMs = Date.now();
  try {
    return await measureProgram(spec, options, { variants, builds, live, checks, bolt }, repetitions);
  } finally {
    if (bolt) {
      const removed = removeBoltProfiles(bolt.boltDir, bolt.buildIds, measuringStartedMs);
      log(`${spec.name}: removed the ${removed} BOLT profile(s) the measuring runs of bolt-instrumented wrote`);
    }
  }
}

async function measureProgram(
  spec: ProgramSpec,
  options: BenchOptions,
  prepared: PreparedVariants,
  repetitions: number,
): Promise<ProgramResult> {
  const { log } = options;
  const { variants, builds, live, checks, bolt } = prepared;
  log(`${spec.name}: dropping every variant's files from the page cache, so none runs from freshly written pages`);
  for (const variant of variants) await evictFromPageCache(listFiles(variant.root));
  log(`${spec.name}: checking that every variant prints what vanilla prints`);
  const { outputs, malformed } = await checkOutputs(spec, variants, options.work);
  for (const m of malformed)
    checks.push({ name: `vanilla's output of ${m.workload} is well-formed`, ok: false, detail: m.problems.join('; ') });
  for (const check of checks.filter((c) => !c.ok)) log(`${spec.name}: CHECK FAILED: ${check.name}: ${check.detail}`);
  log(`${spec.name}: ${repetitions} interleaved repetitions of ${spec.measure.length} measuring workloads`);
  const timings = await measureInterleaved(spec, variants, repetitions, options.work, (rep) => {
    if (rep % 5 === 0 || rep === repetitions) log(`${spec.name}: repetition ${rep}/${repetitions}`);
  });
  let instructions: ProgramResult['instructions'] = null;
  if (options.callgrind) {
    const workload = findWorkload(spec, spec.callgrindWorkload);
    log(`${spec.name}: counting instructions with callgrind on "${workload.name}"`);
    const counts = {} as Record<VariantName, number>;
    for (const variant of variants)
      counts[variant.name] = await countInstructions(variant.binary, workload, variant.env, options.work);
    instructions = { workload: workload.name, counts, ...computeInstructionRatios(counts) };
  }
  let cache: ProgramResult['cache'] = null;
  if (options.callgrind) {
    const workload = findWorkload(spec, spec.cachegrindWorkload ?? spec.callgrindWorkload);
    log(`${spec.name}: simulating the instruction cache and branch predictor with cachegrind on "${workload.name}"`);
    const counts = {} as Record<VariantName, CacheCounts>;
    for (const variant of variants)
      counts[variant.name] = await countCacheEvents(variant.binary, workload, variant.env, options.work);
    cache = { workload: workload.name, counts };
  }
  return {
    program: spec.name,
    nixPgoSource: options.nixPgo.label,
    variants: Object.fromEntries(variants.map((v) => [v.name, v.binary])) as PerVariant<string>,
    trainingWorkloads: [...spec.train.map((w) => w.name), ...(live ? [live.program] : [])],
    measuringWorkloads: spec.measure.map((w) => w.name),
    repetitions,
    outputs,
    outputsIdentical: outputs.every((check) => check.identical),
    builds,
    live,
    checks,
    checksPassed: checks.every((check) => check.ok),
    boltFiles: bolt?.files ?? null,
    ...summarizeTimings(timings),
    instructions,
    cache,
  };
}

function findWorkload(spec: ProgramSpec, name: string): Workload {
  const workload = spec.measure.find((w) => w.name === name);
  if (!workload) throw new Error(`${spec.name}: no measuring workload is named ${name}`);
  return workload;
}
