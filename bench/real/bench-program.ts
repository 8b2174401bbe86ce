// Benchmarks one program: builds the four variants, checks their outputs,
// times them interleaved and counts their instructions.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runByHandPipeline } from './by-hand.js';
import { computeInstructionRatios, summarizeTimings, type ProgramResult } from './bench-result.js';
import { countInstructions } from './callgrind.js';
import { evictFromPageCache, listFiles } from './evict-page-cache.js';
import { checkOutputs, measureInterleaved } from './measure.js';
import { buildNixAttr, writePackageEntry } from './nix-variants.js';
import type { OptimizedVariantSource } from './optimized-source.js';
import type { ProgramSpec } from './program-spec.js';
import { makeRawProfileDir, runTraining } from './training.js';
import type { Variant, VariantName } from './variants.js';

export interface BenchOptions {
  repetitions: number;
  /** Scratch directory: out-links (GC roots), raw profiles, by-hand builds. */
  work: string;
  callgrind: boolean;
  nixPgo: OptimizedVariantSource;
  log: (line: string) => void;
}

/** Builds every variant of a program, training the instrumented ones on the training workloads. */
export async function prepareVariants(programSpec: ProgramSpec, options: BenchOptions): Promise<Variant[]> {
  const { work, log } = options;
  const spec = writePackageEntry(programSpec, work);
  log(`${spec.name}: building vanilla and instrumented variants with Nix`);
  const vanilla = await buildNixAttr(spec, '', work);
  const instrumented = await buildNixAttr(spec, '.pgo.profile', work);
  log(`${spec.name}: training the instrumented variant (${spec.train.length} workloads)`);
  await runTraining(join(instrumented, spec.binary), spec.train, options.nixPgo.trainingProfileFile(spec), work, options.nixPgo.overlappingTraining);
  log(`${spec.name}: nix-pgo optimized variant: ${options.nixPgo.label}`);
  const nixPgo = await options.nixPgo.optimizedStorePath(spec, instrumented);
  log(`${spec.name}: expert by-hand pipeline (generate, train, merge, use)`);
  const byHand = await runByHandPipeline(spec, work);
  // Measuring runs of the instrumented variant write profiles too, as they would for a user.
  const measureRaw = makeRawProfileDir(join(work, `${spec.name}-measure-raw`));
  const env = process.env;
  return [
    { name: 'vanilla', binary: join(vanilla, spec.binary), root: vanilla, env },
    {
      name: 'instrumented',
      binary: join(instrumented, spec.binary),
      root: instrumented,
      env: { ...env, LLVM_PROFILE_FILE: join(measureRaw, '%p-%m.profraw') },
    },
    { name: 'nix-pgo', binary: join(nixPgo, spec.binary), root: nixPgo, env },
    { name: 'by-hand', binary: byHand.optimized, root: byHand.optimizedRoot, env },
  ];
}

export async function benchProgram(spec: ProgramSpec, options: BenchOptions): Promise<ProgramResult> {
  const { log } = options;
  mkdirSync(options.work, { recursive: true });
  const variants = await prepareVariants(spec, options);
  log(`${spec.name}: dropping every variant's files from the page cache, so none runs from freshly written pages`);
  for (const variant of variants) await evictFromPageCache(listFiles(variant.root));
  log(`${spec.name}: checking that every variant prints what vanilla prints`);
  const outputs = await checkOutputs(spec, variants, options.work);
  log(`${spec.name}: ${options.repetitions} interleaved repetitions of ${spec.measure.length} measuring workloads`);
  const timings = await measureInterleaved(spec, variants, options.repetitions, options.work, (rep) => {
    if (rep % 5 === 0 || rep === options.repetitions) log(`${spec.name}: repetition ${rep}/${options.repetitions}`);
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
    trainingWorkloads: spec.train.map((w) => w.name),
    measuringWorkloads: spec.measure.map((w) => w.name),
    repetitions: options.repetitions,
    outputs,
    outputsIdentical: outputs.every((check) => check.identical),
    ...summarizeTimings(timings),
    instructions,
  };
}
