/**
 * Merges one package's ready staged inputs into a new generation of its merged
 * profile: tool output to a temporary name, fsync, atomic rename to the
 * generation's name, then one transaction records the generation and deletes
 * the consumed inputs. A crash before the commit leaves an output that
 * recovery deletes and inputs that are merged again; after it, inputs whose
 * rows are gone and whose files recovery deletes.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ProfileManifest } from '../formats/manifest.js';
import type { Quarantine } from '../quarantine/quarantine.js';
import { faultPoint } from '../durable/fault-points.js';
import { fsyncPath } from '../durable/durable-file.js';
import type { Db } from '../state/database.js';
import { commitMerge, getPackage, type PackageRecord } from '../state/package-records.js';
import { quarantineStaged, readyStaged, type StagedRecord } from '../state/harvest-journal.js';
import { mergeGcdaTrees } from '../tools/gcov-tool.js';
import { mergeProfiles, profileIsReadable, profileOverlap } from '../tools/llvm-profdata.js';
import { parseRawProfile } from '../formats/raw-profile.js';
import { listTreeFiles, summarizeGcdaTree } from './gcda-tree.js';
import { countOverlap, generationName, packageDirName, planGcdaLayers } from './plan-merge.js';

export interface MergeContext {
  db: Db;
  profilesDir: string;
  quarantine: Quarantine;
}

export interface MergeResult {
  package: string;
  generation: number;
  inputs: number;
  quarantined: number;
}

interface Output {
  path: string;
  /** clang: functions with nonzero counters in the inputs, read from the raw profiles. */
  functionKeys?: string[];
  runs: number | null;
  functionsNonzero: number | null;
  overlap: number | null;
  sha256: string;
  bytes: number;
}

export async function mergePackage(ctx: MergeContext, name: string, manifest: ProfileManifest): Promise<MergeResult | null> {
  const record = getPackage(ctx.db, name);
  let inputs = readyStaged(ctx.db, name);
  if (!record || inputs.length === 0) return null;
  const dir = join(ctx.profilesDir, packageDirName(name));
  mkdirSync(dir, { recursive: true });
  const generation = record.generation + 1;
  const target = join(dir, generationName(generation, manifest.toolchain));
  let quarantined = 0;
  let output: Output;
  if (manifest.toolchain === 'clang') {
    const merged = await mergeClang(ctx, manifest.mergeTool, record, inputs, target);
    quarantined = merged.quarantined;
    inputs = merged.inputs;
    if (!merged.output) return { package: name, generation: record.generation, inputs: 0, quarantined };
    output = merged.output;
  } else {
    output = await mergeGcc(manifest.mergeTool, record, inputs, target);
  }
  faultPoint('merge:renamed');
  commitMerge(
    ctx.db,
    { package: name, generation, path: output.path, sha256: output.sha256, bytes: output.bytes, inputs: inputs.length, runs: output.runs, functionsNonzero: output.functionsNonzero, overlap: output.overlap },
    inputs.map((i) => i.id),
    output.functionKeys,
  );
  faultPoint('merge:committed');
  for (const input of inputs) rmSync(input.path, { force: true });
  // The previous generation stays for the next overlap; older ones have no use.
  if (generation >= 3) rmSync(join(dir, generationName(generation - 2, manifest.toolchain)), { force: true, recursive: true });
  return { package: name, generation, inputs: inputs.length, quarantined };
}

async function mergeClang(
  ctx: MergeContext,
  tool: string,
  record: PackageRecord,
  staged: StagedRecord[],
  target: string,
): Promise<{ output: Output | null; inputs: StagedRecord[]; quarantined: number }> {
  const tmp = `${target}.tmp`;
  const listFile = `${target}.inputs`;
  let inputs = staged;
  let quarantined = 0;
  try {
    await mergeProfiles(tool, tmp, [...(record.mergedPath ? [record.mergedPath] : []), ...inputs.map((i) => i.path)], listFile);
  } catch (error) {
    // Find the inputs llvm-profdata cannot read, quarantine them, and merge the rest.
    const bad: StagedRecord[] = [];
    for (const input of inputs) if (!(await profileIsReadable(tool, input.path))) bad.push(input);
    if (bad.length === 0) throw error;
    for (const input of bad) quarantineInput(ctx, input, 'llvm-profdata cannot read this profile');
    quarantined = bad.length;
    inputs = inputs.filter((i) => !bad.includes(i));
    if (inputs.length === 0) return { output: null, inputs, quarantined };
    await mergeProfiles(tool, tmp, [...(record.mergedPath ? [record.mergedPath] : []), ...inputs.map((i) => i.path)], listFile);
  } finally {
    rmSync(listFile, { force: true });
  }
  fsyncPath(tmp);
  faultPoint('merge:output');
  renameSync(tmp, target);
  fsyncPath(dirname(target));
  const overlap = record.mergedPath ? await profileOverlap(tool, record.mergedPath, target) : null;
  const content = readFileSync(target);
  return {
    output: {
      path: target,
      runs: null,
      functionsNonzero: null,
      functionKeys: functionsRunIn(inputs),
      overlap,
      sha256: createHash('sha256').update(content).digest('hex'),
      bytes: content.length,
    },
    inputs,
    quarantined,
  };
}

function functionsRunIn(inputs: readonly StagedRecord[]): string[] {
  const keys = new Set<string>();
  for (const input of inputs) {
    const parsed = parseRawProfile(readFileSync(input.path));
    for (const segment of parsed.segments) for (const key of segment.functionsRun) keys.add(key);
  }
  return [...keys];
}

function quarantineInput(ctx: MergeContext, input: StagedRecord, detail: string): void {
  const bytes = readFileSync(input.path);
  const keptPath = ctx.quarantine.keepCopy(input.path, bytes);
  quarantineStaged(ctx.db, input.id, { reason: 'merge-failed', sourcePath: input.path, uid: null, package: input.package, detail, keptPath, bytes: bytes.length });
  rmSync(input.path, { force: true });
}

async function mergeGcc(tool: string, record: PackageRecord, inputs: StagedRecord[], target: string): Promise<Output> {
  const work = `${target}.work`;
  const tmp = `${target}.tmp`;
  rmSync(work, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
  const layers = planGcdaLayers(inputs);
  let current = record.mergedPath;
  for (const [i, layer] of layers.entries()) {
    const layerDir = join(work, `layer-${i}`);
    for (const input of layer) {
      const dest = join(layerDir, input.relPath ?? 'unnamed.gcda');
      mkdirSync(dirname(dest), { recursive: true });
      linkSync(input.path, dest);
    }
    if (current === null) current = layerDir;
    else {
      const out = join(work, `merged-${i}`);
      await mergeGcdaTrees(tool, current, layerDir, out);
      current = out;
    }
  }
  // Copy (not link) into the output so it shares no inode with staged inputs or older generations.
  mkdirSync(tmp, { recursive: true });
  for (const rel of listTreeFiles(current!)) {
    mkdirSync(dirname(join(tmp, rel)), { recursive: true });
    copyFileSync(join(current!, rel), join(tmp, rel));
    fsyncPath(join(tmp, rel));
  }
  fsyncPath(tmp);
  faultPoint('merge:output');
  renameSync(tmp, target);
  fsyncPath(dirname(target));
  rmSync(work, { recursive: true, force: true });
  const summary = summarizeGcdaTree(target);
  const previous = record.mergedPath ? summarizeGcdaTree(record.mergedPath) : null;
  const hash = createHash('sha256');
  let bytes = 0;
  for (const rel of listTreeFiles(target)) {
    const content = readFileSync(join(target, rel));
    hash.update(rel).update('\0').update(content);
    bytes += content.length;
  }
  return {
    path: target,
    runs: summary.runs,
    functionsNonzero: summary.functionsNonzero,
    overlap: previous ? countOverlap(previous.counters, summary.counters) : null,
    sha256: hash.digest('hex'),
    bytes,
  };
}

