/**
 * Merges one package's ready staged inputs. Each contributor's inputs go into
 * that contributor's own merged profile; the package's profile (a new
 * generation) then combines every contributor's profile, scaled so that no one
 * outweighs the others beyond `maxShare` (plan-merge.ts). Every output goes to
 * a temporary name, is checked, fsynced and renamed; one transaction then
 * records the contributors, the generation, and deletes the consumed inputs. A
 * crash before the commit leaves outputs recovery deletes and inputs that are
 * merged again; after it, inputs whose rows are gone and whose files recovery
 * deletes.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { faultPoint } from '../durable/fault-points.js';
import { NixPgoError } from '../errors/errors.js';
import { parseFdata } from '../formats/fdata.js';
import type { ProfileManifest, Toolchain } from '../formats/manifest.js';
import { parseRawProfile } from '../formats/raw-profile.js';
import type { Quarantine } from '../quarantine/quarantine.js';
import type { Db } from '../state/database.js';
import { quarantineStaged, readyStaged, type StagedRecord } from '../state/harvest-journal.js';
import { commitMerge, getPackage, listContributions, type NewContribution } from '../state/package-records.js';
import { mergeGcdaTrees, scaleGcdaTree } from '../tools/gcov-tool.js';
import { mergeProfiles, profileIsReadable, profileOverlap, writeTextProfile } from '../tools/llvm-profdata.js';
import {
  addFdataTrees,
  combineFdataTrees,
  fdataTreeCounters,
  fdataTreeMass,
  readFdataTree,
  writeFdataTree,
  type FdataTree,
} from './fdata-tree.js';
import { listTreeFiles, summarizeGcdaTree } from './gcda-tree.js';
import { countOverlap, generationName, packageDirName, planContributorWeights, planGcdaLayers } from './plan-merge.js';
import { scaleTextProfile, sumTextProfileCounters } from './text-profile.js';
import { publish, publishTree } from './publish-output.js';
import { checkMergedProfile } from './verify-profile.js';

export interface MergeContext {
  db: Db;
  profilesDir: string;
  quarantine: Quarantine;
  /** The package policy's maxContributorShare. */
  maxShare: number;
  /** Who data from before contributors were recorded is credited to (the collector's own user). */
  legacyContributor: number;
}

export interface MergeResult {
  package: string;
  generation: number;
  inputs: number;
  quarantined: number;
}

interface Stored {
  path: string;
  generation: number;
  mass: number;
}

export async function mergePackage(
  ctx: MergeContext,
  name: string,
  manifest: ProfileManifest,
): Promise<MergeResult | null> {
  const record = getPackage(ctx.db, name);
  const inputs = readyStaged(ctx.db, name);
  if (!record || inputs.length === 0) return null;
  const toolchain = manifest.toolchain;
  const tool = manifest.mergeTool;
  const dir = join(ctx.profilesDir, packageDirName(name));
  mkdirSync(dir, { recursive: true });

  const stored = new Map<number, Stored>(
    listContributions(ctx.db, name).map((c) => [
      c.contributor,
      { path: c.path, generation: c.generation, mass: c.mass },
    ]),
  );
  // A package merged before contributors were recorded has one profile and no contributions: it becomes the legacy contributor's.
  if (stored.size === 0 && record.mergedPath)
    stored.set(ctx.legacyContributor, {
      path: record.mergedPath,
      generation: 0,
      mass: await profileMass(toolchain, tool, record.mergedPath),
    });

  const byContributor = new Map<number, StagedRecord[]>();
  for (const input of inputs) {
    const contributor = input.contributor < 0 ? ctx.legacyContributor : input.contributor;
    byContributor.set(contributor, [...(byContributor.get(contributor) ?? []), input]);
  }

  let quarantined = 0;
  const consumed: StagedRecord[] = [];
  const changed: NewContribution[] = [];
  for (const [contributor, list] of byContributor) {
    const previous = stored.get(contributor);
    const base = previous && usable(ctx, name, toolchain, previous.path) ? previous : null;
    const generation = (previous?.generation ?? 0) + 1;
    const target = join(dir, 'contributors', String(contributor), generationName(generation, toolchain));
    mkdirSync(dirname(target), { recursive: true });
    const merged =
      toolchain === 'clang'
        ? await mergeClangInputs(ctx, tool, base?.path ?? null, list, target)
        : toolchain === 'gcc'
          ? { ...(await mergeGccInputs(tool, base?.path ?? null, list, target)), quarantined: 0 }
          : mergeBoltInputs(ctx, base?.path ?? null, list, target);
    quarantined += merged.quarantined;
    if (merged.used.length === 0) continue;
    requireWhole(toolchain, target, name);
    const content = hashOutput(toolchain, target);
    changed.push({
      contributor,
      generation,
      path: target,
      sha256: content.sha256,
      bytes: content.bytes,
      mass: (base?.mass ?? 0) + merged.used.reduce((sum, i) => sum + i.mass, 0),
      addedBytes: merged.used.reduce((sum, i) => sum + i.bytes, 0),
      addedFiles: merged.used.reduce((sum, i) => sum + i.files, 0),
    });
    consumed.push(...merged.used);
    stored.set(contributor, { path: target, generation, mass: changed.at(-1)!.mass });
  }
  if (changed.length === 0) return { package: name, generation: record.generation, inputs: 0, quarantined };

  // The package's profile: every contributor's current profile, weighed so no one outweighs the others.
  const weights = planContributorWeights(new Map([...stored].map(([c, s]) => [c, s.mass])), ctx.maxShare);
  const generation = record.generation + 1;
  const target = join(dir, generationName(generation, toolchain));
  const parts = [...stored].map(([c, s]) => ({ path: s.path, weight: weights.get(c) ?? 1 }));
  if (toolchain === 'clang') await combineClang(tool, parts, target);
  else if (toolchain === 'gcc') await combineGcc(tool, parts, target);
  else writeFdataTree(combineFdataTrees(parts.map((p) => ({ tree: readFdataTree(p.path), weight: p.weight }))), target);
  requireWhole(toolchain, target, name);
  faultPoint('merge:renamed');

  const previousCombined =
    record.mergedPath && checkMergedProfile(toolchain, record.mergedPath) === null ? record.mergedPath : null;
  const overlap = previousCombined === null ? null : await measureOverlap(toolchain, tool, previousCombined, target);
  const content = hashOutput(toolchain, target);
  commitMerge(
    ctx.db,
    {
      package: name,
      generation,
      path: target,
      sha256: content.sha256,
      bytes: content.bytes,
      inputs: consumed.length,
      functionsNonzero: toolchain === 'gcc' ? summarizeGcdaTree(target).functionsNonzero : null,
      overlap,
    },
    changed,
    consumed.map((i) => i.id),
    toolchain === 'clang' ? functionsRunIn(consumed) : undefined,
  );
  faultPoint('merge:committed');
  for (const input of consumed) rmSync(input.path, { force: true });
  for (const c of changed)
    if (c.generation > 1)
      rmSync(join(dirname(c.path), generationName(c.generation - 1, toolchain)), { force: true, recursive: true });
  // The previous generation stays for the next overlap; older ones have no use.
  if (generation >= 3) rmSync(join(dir, generationName(generation - 2, toolchain)), { force: true, recursive: true });
  return { package: name, generation, inputs: consumed.length, quarantined };
}

/** A stored profile that cannot be read is recorded and merging goes on without it, rather than failing forever. */
function usable(ctx: MergeContext, name: string, toolchain: Toolchain, path: string): boolean {
  const problem = checkMergedProfile(toolchain, path);
  if (problem === null) return true;
  ctx.quarantine.record({
    reason: 'broken-merge',
    sourcePath: path,
    uid: null,
    package: name,
    detail: `${problem}; merging goes on from the new data`,
    keptPath: null,
    bytes: 0,
  });
  return false;
}

function requireWhole(toolchain: Toolchain, path: string, name: string): void {
  const problem = checkMergedProfile(toolchain, path);
  if (problem !== null) {
    rmSync(path, { recursive: true, force: true });
    throw new NixPgoError('TOOL_FAILED', `merging ${name} produced no usable profile: ${problem}`, {
      hints: [
        "the inputs stay staged and are merged again at the next pass; see the daemon log for the merge tool's output",
      ],
    });
  }
}

async function mergeClangInputs(
  ctx: MergeContext,
  tool: string,
  base: string | null,
  staged: StagedRecord[],
  target: string,
): Promise<{ used: StagedRecord[]; quarantined: number }> {
  const tmp = `${target}.tmp`;
  const listFile = `${target}.inputs`;
  let inputs = staged;
  let quarantined = 0;
  try {
    await mergeProfiles(tool, tmp, [...(base ? [base] : []), ...inputs.map((i) => i.path)], listFile);
  } catch (error) {
    // Find the inputs llvm-profdata cannot read, quarantine them, and merge the rest.
    const bad: StagedRecord[] = [];
    for (const input of inputs) if (!(await profileIsReadable(tool, input.path))) bad.push(input);
    if (bad.length === 0) throw error;
    for (const input of bad) quarantineInput(ctx, input, 'llvm-profdata cannot read this profile');
    quarantined = bad.length;
    inputs = inputs.filter((i) => !bad.includes(i));
    if (inputs.length === 0) return { used: [], quarantined };
    await mergeProfiles(tool, tmp, [...(base ? [base] : []), ...inputs.map((i) => i.path)], listFile);
  } finally {
    rmSync(listFile, { force: true });
  }
  publish(tmp, target);
  return { used: inputs, quarantined };
}

/** BOLT: each input is one instrumented file's profile of one run, summed into the file of its name. */
function mergeBoltInputs(
  ctx: MergeContext,
  base: string | null,
  staged: StagedRecord[],
  target: string,
): { used: StagedRecord[]; quarantined: number } {
  const tree: FdataTree = base ? readFdataTree(base) : new Map();
  const used: StagedRecord[] = [];
  let quarantined = 0;
  for (const input of staged) {
    const parsed = parseFdata(readFileSync(input.path));
    if (!parsed.ok) {
      quarantineInput(ctx, input, `not a whole BOLT profile: ${parsed.detail}`);
      quarantined++;
      continue;
    }
    addFdataTrees(tree, new Map([[input.relPath ?? 'unnamed.fdata', parsed.profile]]));
    used.push(input);
  }
  if (used.length > 0) writeFdataTree(tree, target);
  return { used, quarantined };
}

function quarantineInput(ctx: MergeContext, input: StagedRecord, detail: string): void {
  const bytes = readFileSync(input.path);
  const keptPath = ctx.quarantine.keepCopy(input.path, bytes);
  quarantineStaged(ctx.db, input.id, {
    reason: 'merge-failed',
    sourcePath: input.path,
    uid: input.contributor < 0 ? null : input.contributor,
    package: input.package,
    detail,
    keptPath,
    bytes: bytes.length,
  });
  rmSync(input.path, { force: true });
}

async function mergeGccInputs(
  tool: string,
  base: string | null,
  inputs: StagedRecord[],
  target: string,
): Promise<{ used: StagedRecord[] }> {
  const work = `${target}.work`;
  rmSync(work, { recursive: true, force: true });
  let current = base;
  for (const [i, layer] of planGcdaLayers(inputs).entries()) {
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
  publishTree(current!, target);
  rmSync(work, { recursive: true, force: true });
  return { used: inputs };
}

async function combineClang(
  tool: string,
  parts: readonly { path: string; weight: number }[],
  target: string,
): Promise<void> {
  const tmp = `${target}.tmp`;
  const scaled: string[] = [];
  try {
    const inputs: string[] = [];
    for (const [i, part] of parts.entries()) {
      if (part.weight === 1) {
        inputs.push(part.path);
        continue;
      }
      const text = `${target}.part-${i}.txt`;
      scaled.push(text);
      await writeTextProfile(tool, part.path, text);
      writeFileSync(text, scaleTextProfile(readFileSync(text, 'utf8'), part.weight));
      inputs.push(text);
    }
    if (inputs.length === 1 && parts[0]!.weight === 1) copyFileSync(inputs[0]!, tmp);
    else await mergeProfiles(tool, tmp, inputs, `${target}.inputs`);
  } finally {
    for (const file of [...scaled, `${target}.inputs`]) rmSync(file, { force: true });
  }
  publish(tmp, target);
}

async function combineGcc(
  tool: string,
  parts: readonly { path: string; weight: number }[],
  target: string,
): Promise<void> {
  const work = `${target}.work`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  let current: string | null = null;
  let currentWeight = 1;
  for (const [i, part] of parts.entries()) {
    if (current === null) {
      current = part.path;
      currentWeight = part.weight;
      continue;
    }
    const out = join(work, `combined-${i}`);
    await mergeGcdaTrees(tool, current, part.path, out, [currentWeight, part.weight]);
    current = out;
    currentWeight = 1;
  }
  if (currentWeight !== 1) {
    const scaled = join(work, 'scaled');
    await scaleGcdaTree(tool, current!, currentWeight, scaled);
    current = scaled;
  }
  publishTree(current!, target);
  rmSync(work, { recursive: true, force: true });
}

async function measureOverlap(
  toolchain: Toolchain,
  tool: string,
  previous: string,
  current: string,
): Promise<number | null> {
  if (toolchain === 'clang') return profileOverlap(tool, previous, current);
  if (toolchain === 'bolt')
    return countOverlap(fdataTreeCounters(readFdataTree(previous)), fdataTreeCounters(readFdataTree(current)));
  return countOverlap(summarizeGcdaTree(previous).counters, summarizeGcdaTree(current).counters);
}

/** The sum of all counters of a stored profile (only needed once, for a profile merged before masses were recorded). */
async function profileMass(toolchain: Toolchain, tool: string, path: string): Promise<number> {
  if (checkMergedProfile(toolchain, path) !== null) return 0;
  if (toolchain === 'gcc') return [...summarizeGcdaTree(path).counters.values()].reduce((sum, c) => sum + Number(c), 0);
  if (toolchain === 'bolt') return fdataTreeMass(readFdataTree(path));
  const text = `${path}.mass.txt`;
  try {
    await writeTextProfile(tool, path, text);
    return sumTextProfileCounters(readFileSync(text, 'utf8'));
  } finally {
    rmSync(text, { force: true });
  }
}

function functionsRunIn(inputs: readonly StagedRecord[]): string[] {
  const keys = new Set<string>();
  for (const input of inputs) {
    if (input.kind !== 'llvm') continue;
    const parsed = parseRawProfile(readFileSync(input.path));
    for (const segment of parsed.segments) for (const key of segment.functionsRun) keys.add(key);
  }
  return [...keys];
}

function hashOutput(toolchain: Toolchain, path: string): { sha256: string; bytes: number } {
  const hash = createHash('sha256');
  if (toolchain === 'clang') {
    const content = readFileSync(path);
    return { sha256: hash.update(content).digest('hex'), bytes: content.length };
  }
  let bytes = 0;
  for (const rel of listTreeFiles(path)) {
    const content = readFileSync(join(path, rel));
    hash.update(rel).update('\0').update(content);
    bytes += content.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}
