/**
 * Merges one package's ready staged inputs. Each contributor's inputs go into
 * that contributor's own merged profile; the package's profile (a new
 * generation) then combines every contributor's profile, scaled so that no one
 * outweighs the others beyond `maxShare` (plan-merge.ts). Every output goes to
 * a temporary name, is checked, fsynced and renamed; one transaction then
 * records the contributors, the generation, and deletes the consumed inputs. A
 * crash before the commit leaves outputs recovery deletes and inputs that are
 * merged again; after it, inputs whose rows are gone and whose files recovery
 * deletes. What depends on the profile format is its module (profile-format.ts).
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { removeFiles } from '../durable/durable-file.js';
import { faultPoint } from '../durable/fault-points.js';
import { ToolError } from '../errors/errors.js';
import type { ProfileManifest, Toolchain } from '../formats/manifest.js';
import type { Quarantine } from '../quarantine/quarantine.js';
import type { Db } from '../state/database.js';
import { quarantineStaged, readyStaged, type StagedRecord } from '../state/harvest-journal.js';
import { commitMerge, getPackage, listContributions, type NewContribution } from '../state/package-records.js';
import { generationName, packageDirName, planContributorWeights } from './plan-merge.js';
import type { MergeTools } from './profile-format.js';
import { profileFormat } from './profile-formats.js';
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
  const format = profileFormat(toolchain);
  let quarantined = 0;
  const tools: MergeTools = {
    tool: manifest.mergeTool,
    reject: (input, detail) => {
      quarantineInput(ctx, input, detail);
      quarantined++;
    },
  };
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
      // Only needed once, for a profile merged before masses were recorded.
      mass:
        checkMergedProfile(toolchain, record.mergedPath) === null
          ? await format.measureMass(tools.tool, record.mergedPath)
          : 0,
    });

  const byContributor = new Map<number, StagedRecord[]>();
  for (const input of inputs) {
    const contributor = input.contributor < 0 ? ctx.legacyContributor : input.contributor;
    byContributor.set(contributor, [...(byContributor.get(contributor) ?? []), input]);
  }

  const consumed: StagedRecord[] = [];
  const changed: NewContribution[] = [];
  for (const [contributor, list] of byContributor) {
    const previous = stored.get(contributor);
    const base = previous && usable(ctx, name, toolchain, previous.path) ? previous : null;
    const generation = (previous?.generation ?? 0) + 1;
    const target = join(dir, 'contributors', String(contributor), generationName(generation, toolchain));
    mkdirSync(dirname(target), { recursive: true });
    const used = await format.mergeInputs(tools, base?.path ?? null, list, target);
    if (used.length === 0) continue;
    requireWhole(manifest, target, name);
    const content = format.hashOutput(target);
    changed.push({
      contributor,
      generation,
      path: target,
      sha256: content.sha256,
      bytes: content.bytes,
      mass: (base?.mass ?? 0) + used.reduce((sum, i) => sum + i.mass, 0),
      addedBytes: used.reduce((sum, i) => sum + i.bytes, 0),
      addedFiles: used.reduce((sum, i) => sum + i.files, 0),
    });
    consumed.push(...used);
    stored.set(contributor, { path: target, generation, mass: changed.at(-1)!.mass });
  }
  if (changed.length === 0) return { package: name, generation: record.generation, inputs: 0, quarantined };

  // The package's profile: every contributor's current profile, weighed so no one outweighs the others.
  const weights = planContributorWeights(new Map([...stored].map(([c, s]) => [c, s.mass])), ctx.maxShare);
  const generation = record.generation + 1;
  const target = join(dir, generationName(generation, toolchain));
  const parts = [...stored].map(([c, s]) => ({ path: s.path, weight: weights.get(c) ?? 1 }));
  await format.combine(tools.tool, parts, target);
  requireWhole(manifest, target, name);
  faultPoint('merge:renamed');

  const previousCombined =
    record.mergedPath && checkMergedProfile(toolchain, record.mergedPath) === null ? record.mergedPath : null;
  const overlap = previousCombined === null ? null : await format.measureOverlap(tools.tool, previousCombined, target);
  const content = format.hashOutput(target);
  const functionsRun = format.listFunctionsRun(target, consumed);
  commitMerge(
    ctx.db,
    {
      package: name,
      generation,
      path: target,
      sha256: content.sha256,
      bytes: content.bytes,
      inputs: consumed.length,
      functionsNonzero: functionsRun !== null && 'count' in functionsRun ? functionsRun.count : null,
      overlap,
    },
    changed,
    consumed.map((i) => i.id),
    functionsRun !== null && 'keys' in functionsRun ? functionsRun.keys : undefined,
  );
  faultPoint('merge:committed');
  await removeFiles([
    ...consumed.map((i) => i.path),
    ...changed
      .filter((c) => c.generation > 1)
      .map((c) => join(dirname(c.path), generationName(c.generation - 1, toolchain))),
    // The previous generation stays for the next overlap; older ones have no use.
    ...(generation >= 3 ? [join(dir, generationName(generation - 2, toolchain))] : []),
  ]);
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

function requireWhole(manifest: ProfileManifest, path: string, name: string): void {
  const problem = checkMergedProfile(manifest.toolchain, path);
  if (problem !== null) {
    rmSync(path, { recursive: true, force: true });
    throw new ToolError('TOOL_FAILED', manifest.mergeTool, `merging ${name} produced no usable profile: ${problem}`, {
      hints: [
        "the inputs stay staged and are merged again at the next pass; see the daemon log for the merge tool's output",
      ],
    });
  }
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
