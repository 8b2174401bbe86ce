/**
 * LLVM profiles: raw profiles (.profraw) merged with the llvm-profdata of the
 * compiler that wrote them into one indexed profile (.profdata). llvm-profdata
 * can only weigh inputs up by whole numbers, so a contributor is scaled down
 * through the text form (text-profile.ts).
 */
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { listLlvmBuildKeys, llvmFunctionKey } from '../formats/build-keys.js';
import { FunctionsRun, parseRawProfile } from '../formats/raw-profile.js';
import type { StagedRecord } from '../state/harvest-journal.js';
import { mergeProfiles, profileIsReadable, profileOverlap, writeTextProfile } from '../tools/llvm-profdata.js';
import { forEachElfFile } from './build-elf-files.js';
import { hashFile } from './hash-output.js';
import { identityOfKey, type ProfileRecord } from './measure-match.js';
import type { ProfileFormat } from './profile-format.js';
import { publish } from './publish-output.js';
import { filterTextProfile, scaleTextProfile, splitTextProfile, sumTextProfileCounters } from './text-profile.js';

/** The first bytes of an indexed LLVM profile ("\xfflprofi\x81"), read as a little-endian u64. */
const INDEXED_MAGIC = 0x8169666f72706cffn;

const mergeInputs: ProfileFormat['mergeInputs'] = async (tools, base, staged, target) => {
  const tmp = `${target}.tmp`;
  const listFile = `${target}.inputs`;
  let inputs = [...staged];
  try {
    await mergeProfiles(tools.tool, tmp, [...(base ? [base] : []), ...inputs.map((i) => i.path)], listFile);
  } catch (error) {
    // Find the inputs llvm-profdata cannot read, set them aside, and merge the rest.
    const bad: StagedRecord[] = [];
    for (const input of inputs) if (!(await profileIsReadable(tools.tool, input.path))) bad.push(input);
    if (bad.length === 0) throw error;
    for (const input of bad) tools.reject(input, 'llvm-profdata cannot read this profile');
    inputs = inputs.filter((i) => !bad.includes(i));
    if (inputs.length === 0) return [];
    await mergeProfiles(tools.tool, tmp, [...(base ? [base] : []), ...inputs.map((i) => i.path)], listFile);
  } finally {
    rmSync(listFile, { force: true });
  }
  await publish(tmp, target);
  return inputs;
};

/** `path` in the text form, for reading (removed afterwards). */
async function withTextProfile<T>(tool: string, path: string, use: (text: string) => T): Promise<T> {
  const text = `${path}.${process.pid}.txt`;
  try {
    await writeTextProfile(tool, path, text);
    return use(readFileSync(text, 'utf8'));
  } finally {
    rmSync(text, { force: true });
  }
}

const combine: ProfileFormat['combine'] = async (tool, parts, target) => {
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
  await publish(tmp, target);
};

export const clangFormat: ProfileFormat = {
  suffix: 'profdata',
  mergeInputs,
  combine,
  check(path) {
    const bytes = readFileSync(path);
    if (bytes.length < 16) return `${path} has ${bytes.length} bytes, not an indexed profile`;
    if (bytes.readBigUInt64LE(0) !== INDEXED_MAGIC) return `${path} is not an indexed LLVM profile`;
    return null;
  },
  measureOverlap: profileOverlap,
  measureMass: (tool, path) => withTextProfile(tool, path, sumTextProfileCounters),
  hashOutput: hashFile,
  listFunctionsRun(_output, inputs) {
    const run = new FunctionsRun();
    for (const input of inputs) if (input.kind === 'llvm') parseRawProfile(readFileSync(input.path), run);
    return { keys: run.list() };
  },
  listRecords: (tool, path) =>
    withTextProfile(tool, path, (text) =>
      splitTextProfile(text).records.map((r): ProfileRecord => {
        const key = llvmFunctionKey(r.name, r.hash);
        return {
          key,
          identity: identityOfKey(key),
          name: r.name,
          mass: r.counters.reduce((sum, c) => sum + Number(c), 0),
        };
      }),
    ),
  listBuildKeys(_manifest, outputs) {
    const keys: string[] = [];
    let found = false;
    forEachElfFile(outputs, (image) => {
      const own = listLlvmBuildKeys(image);
      if (own === null) return;
      found = true;
      keys.push(...own);
    });
    return found ? keys : null;
  },
  async restrictToKeys(tool, path, keys, target) {
    const wanted = new Set(keys);
    const filtered = `${target}.filtered.txt`;
    try {
      const text = await withTextProfile(tool, path, (t) =>
        filterTextProfile(t, (r) => wanted.has(llvmFunctionKey(r.name, r.hash))),
      );
      writeFileSync(filtered, text);
      await mergeProfiles(tool, `${target}.tmp`, [filtered], `${target}.inputs`);
    } finally {
      rmSync(filtered, { force: true });
      rmSync(`${target}.inputs`, { force: true });
    }
    await publish(`${target}.tmp`, target);
  },
};
