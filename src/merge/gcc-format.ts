/**
 * GCC profiles: trees of .gcda files (one per object, named by its path),
 * merged two trees at a time with the gcov-tool of the compiler that wrote
 * them. One tree can hold each relative path only once, so inputs are merged
 * in layers.
 */
import { linkSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { listGcovBuildKeys } from '../formats/build-keys.js';
import { parseGcda } from '../formats/gcda-file.js';
import type { StagedRecord } from '../state/harvest-journal.js';
import { mergeGcdaTrees, scaleGcdaTree } from '../tools/gcov-tool.js';
import { forEachElfFile } from './build-elf-files.js';
import { countOverlap } from './count-overlap.js';
import { listTreeFiles, summarizeGcdaTree } from './gcda-tree.js';
import { hashTree } from './hash-output.js';
import type { ProfileRecord } from './measure-match.js';
import type { ProfileFormat } from './profile-format.js';
import { publishTree } from './publish-output.js';

/** Splits gcda inputs into trees with unique relative paths, oldest copies first (pure). */
export function planGcdaLayers(inputs: readonly StagedRecord[]): StagedRecord[][] {
  const layers: StagedRecord[][] = [];
  const seen = new Map<string, number>();
  for (const input of inputs) {
    const rel = input.relPath ?? '';
    const layer = seen.get(rel) ?? 0;
    seen.set(rel, layer + 1);
    layers[layer] ??= [];
    layers[layer].push(input);
  }
  return layers;
}

const mergeInputs: ProfileFormat['mergeInputs'] = async (tools, base, inputs, target) => {
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
      await mergeGcdaTrees(tools.tool, current, layerDir, out);
      current = out;
    }
  }
  await publishTree(current!, target);
  rmSync(work, { recursive: true, force: true });
  return [...inputs];
};

const combine: ProfileFormat['combine'] = async (tool, parts, target) => {
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
  await publishTree(current!, target);
  rmSync(work, { recursive: true, force: true });
};

export const gccFormat: ProfileFormat = {
  suffix: 'gcda.d',
  mergeInputs,
  combine,
  check(path) {
    if (!statSync(path).isDirectory()) return `${path} is not a directory`;
    const files = listTreeFiles(path).filter((f) => f.endsWith('.gcda'));
    if (files.length === 0) return `${path} holds no .gcda file`;
    for (const file of files) {
      const parsed = parseGcda(readFileSync(join(path, file)));
      if (!parsed.ok) return `${join(path, file)}: ${parsed.detail}`;
    }
    return null;
  },
  async measureOverlap(_tool, previous, current) {
    return countOverlap(summarizeGcdaTree(previous).counters, summarizeGcdaTree(current).counters);
  },
  async measureMass(_tool, path) {
    return [...summarizeGcdaTree(path).counters.values()].reduce((sum, c) => sum + Number(c), 0);
  },
  hashOutput: hashTree,
  listFunctionsRun: (output) => ({ count: summarizeGcdaTree(output).functionsNonzero }),
  async listRecords(_tool, path) {
    const records: ProfileRecord[] = [];
    for (const rel of listTreeFiles(path)) {
      if (!rel.endsWith('.gcda')) continue;
      const parsed = parseGcda(readFileSync(join(path, rel)));
      if (!parsed.ok) continue;
      for (const fn of parsed.file.functions) {
        const identity = `${rel}:${fn.ident}`;
        records.push({
          key: `${identity}:${fn.linenoChecksum}:${fn.cfgChecksum}`,
          identity,
          // A gcda file names no function: its object and the function's ident say which one it is.
          name: `${rel.replace(/\.gcda$/, '')} function ${fn.ident}`,
          mass: fn.arcs.reduce((sum, c) => sum + Number(c), 0),
        });
      }
    }
    return records;
  },
  listBuildKeys(manifest, outputs) {
    if (manifest.gcdaDir === null) return null;
    const keys: string[] = [];
    let found = false;
    forEachElfFile(outputs, (image) => {
      const own = listGcovBuildKeys(image, manifest.gcdaDir!);
      if (own === null) return;
      found = true;
      keys.push(...own);
    });
    return found ? keys : null;
  },
  // GCC skips a function whose checksums differ and keeps nothing of it, so the whole tree can go in as it is.
  async restrictToKeys(_tool, path, _keys, target) {
    await publishTree(path, target);
  },
};
