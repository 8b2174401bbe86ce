/**
 * BOLT profiles: a tree of `<build id>.fdata` files, one per instrumented
 * file, merged and weighed here in TypeScript (fdata-tree.ts). Each input is
 * one instrumented file's profile of one run, summed into the file of its name.
 */
import { statSync } from 'node:fs';
import type { StagedRecord } from '../state/harvest-journal.js';
import { countOverlap } from './count-overlap.js';
import {
  addFdataTrees,
  checkFdataTree,
  combineFdataTrees,
  fdataTreeCounters,
  fdataTreeMass,
  readFdataFile,
  readFdataTree,
  writeFdataTree,
  type FdataTree,
} from './fdata-tree.js';
import { hashTree } from './hash-output.js';
import type { ProfileFormat } from './profile-format.js';

const mergeInputs: ProfileFormat['mergeInputs'] = async (tools, base, staged, target) => {
  const tree: FdataTree = base ? readFdataTree(base) : new Map();
  const used: StagedRecord[] = [];
  for (const input of staged) {
    const parsed = readFdataFile(input.path);
    if (!parsed.ok) {
      tools.reject(input, `not a whole BOLT profile: ${parsed.detail}`);
      continue;
    }
    addFdataTrees(tree, new Map([[input.relPath ?? 'unnamed.fdata', parsed.profile]]));
    used.push(input);
  }
  if (used.length > 0) await writeFdataTree(tree, target);
  return used;
};

export const boltFormat: ProfileFormat = {
  suffix: 'fdata.d',
  mergeInputs,
  async combine(_tool, parts, target) {
    await writeFdataTree(
      combineFdataTrees(parts.map((p) => ({ tree: readFdataTree(p.path), weight: p.weight }))),
      target,
    );
  },
  check: (path) => (statSync(path).isDirectory() ? checkFdataTree(path) : `${path} is not a directory`),
  async measureOverlap(_tool, previous, current) {
    return countOverlap(fdataTreeCounters(readFdataTree(previous)), fdataTreeCounters(readFdataTree(current)));
  },
  measureMass: async (_tool, path) => fdataTreeMass(readFdataTree(path)),
  hashOutput: hashTree,
  listFunctionsRun: () => null,
  // BOLT's profiles name addresses in one binary: how much of one applies to another build is not measured.
  listRecords: async () => [],
  listBuildKeys: () => null,
  async restrictToKeys(_tool, path, _keys, target) {
    await writeFdataTree(readFdataTree(path), target);
  },
};
