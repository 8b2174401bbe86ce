// Benchmarks one program: builds the four variants, checks their outputs,
// times them interleaved and counts their instructions.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifest } from '../../src/formats/manifest.js';
import { runByHandPipeline } from './by-hand.js';
import { computeInstructionRatios, summarizeTimings, type BuildTime, type ProgramResult } from './bench-result.js';
import { countInstructions } from './callgrind.js';
import { evictFromPageCache, listFiles } from './evict-page-cache.js';
import { checkOutputs, measureInterleaved } from './measure.js';
import { buildNixAttr, writePackageEntry } from './nix-variants.js';
import type { OptimizedVariantSource } from './optimized-source.js';
import { checkDefaultDirUntouched, checkNoRawProfilesInOutputs } from './profile-checks.js';
import { DEFAULT_REPETITIONS, type Check, type LiveTrainingResult, type ProgramSpec } from './program-spec.js';
import { makeRawProfileDir, runTraining } from './training.js';
import type { Variant, VariantName } from './variants.js';

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
  log(`${spec.name}: instrumented ${instrumented.built ? `built in ${minutes(instrumented.seconds)}` : 'from the store'}`);
  log(`${spec.name}: training the instrumented variant (${spec.train.length} workloads${spec.trainLive ? ', then a long-running part' : ''})`);
  await runTraining(join(instrumented.storePath, spec.binary), spec.train, options.nixPgo.trainingProfileFile(spec), work, options.nixPgo.overlappingTraining);
  log(`${spec.name}: nix-pgo optimized variant: ${options.nixPgo.label}`);
  const nixPgo = await options.nixPgo.optimizedVariant(spec, instrumented.storePath, log);
  log(`${spec.name}: nix-pgo optimized ${nixPgo.build.built ? `built in ${minutes(nixPgo.build.seconds)}` : 'from the store'}`);
  // PGO+BOLT (not yet, see variants.ts): built here from the nix-pgo variant, through the daemon
  // like it (BOLT-instrument it, train, merge-fdata, optimize), for every program alike.
  log(`${spec.name}: expert by-hand pipeline (generate, train, merge, use)`);
  const byHand = await runByHandPipeline(spec, work, log);
  log(`${spec.name}: by-hand built in ${minutes(byHand.buildSeconds.instrumented)} (instrumented) and ${minutes(byHand.buildSeconds.optimized)} (optimized)`);
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
  ];
  const manifestFile = join(instrumented.storePath, 'nix-support', 'pgo.json');
  const manifest = parseManifest(readFileSync(manifestFile, 'utf8'), manifestFile);
  const checks: Check[] = [
    checkNoRawProfilesInOutputs(variants),
    checkDefaultDirUntouched(manifest.defaultProfileDir, manifest.binaries.map((b) => b.buildId), startedMs),
    ...nixPgo.checks,
    ...(spec.checks ? await spec.checks(variants, work) : []),
  ];
  const builds: BuildTime[] = [
    { variant: 'vanilla', seconds: vanilla.seconds, built: vanilla.built },
    { variant: 'instrumented', seconds: instrumented.seconds, built: instrumented.built },
    { variant: 'nix-pgo', seconds: nixPgo.build.seconds, built: nixPgo.build.built },
    { variant: 'by-hand instrumented', seconds: byHand.buildSeconds.instrumented, built: true },
    { variant: 'by-hand optimized', seconds: byHand.buildSeconds.optimized, built: true },
  ];
  return { variants, builds, live: nixPgo.live, checks };
}

export async function benchProgram(spec: ProgramSpec, options: BenchOptions): Promise<ProgramResult> {
  const { log } = options;
  const repetitions = options.repetitions ?? spec.defaultRepetitions ?? DEFAULT_REPETITIONS;
  mkdirSync(options.work, { recursive: true });
  const { variants, builds, live, checks } = await prepareVariants(spec, options);
  log(`${spec.name}: dropping every variant's files from the page cache, so none runs from freshly written pages`);
  for (const variant of variants) await evictFromPageCache(listFiles(variant.root));
  log(`${spec.name}: checking that every variant prints what vanilla prints`);
  const { outputs, malformed } = await checkOutputs(spec, variants, options.work);
  for (const m of malformed) checks.push({ name: `vanilla's output of ${m.workload} is well-formed`, ok: false, detail: m.problems.join('; ') });
  for (const check of checks.filter((c) => !c.ok)) log(`${spec.name}: CHECK FAILED: ${check.name}: ${check.detail}`);
  log(`${spec.name}: ${repetitions} interleaved repetitions of ${spec.measure.length} measuring workloads`);
  const timings = await measureInterleaved(spec, variants, repetitions, options.work, (rep) => {
    if (rep % 5 === 0 || rep === repetitions) log(`${spec.name}: repetition ${rep}/${repetitions}`);
  });
  let instructions: ProgramResult['instructions'] = null;
  if (options.callgrind) {
    const workload = spec.measure.find((w) => w.name === spec.callgrindWorkload);
    if (!workload) throw new Error(`${spec.name}: no measuring workload is named ${spec.callgrindWorkload}`);
    log(`${spec.name}: counting instructions with callgrind on "${workload.name}"`);
    const counts = {} as Record<VariantName, number>;
    for (const variant of variants) counts[variant.name] = await countInstructions(variant.binary, workload, variant.env, options.work);
    instructions = { workload: workload.name, counts, ...computeInstructionRatios(counts) };
  }
  return {
    program: spec.name,
    nixPgoSource: options.nixPgo.label,
    variants: Object.fromEntries(variants.map((v) => [v.name, v.binary])) as Record<VariantName, string>,
    trainingWorkloads: [...spec.train.map((w) => w.name), ...(live ? [live.program] : [])],
    measuringWorkloads: spec.measure.map((w) => w.name),
    repetitions,
    outputs,
    outputsIdentical: outputs.every((check) => check.identical),
    builds,
    live,
    checks,
    checksPassed: checks.every((check) => check.ok),
    ...summarizeTimings(timings),
    instructions,
  };
}
