/**
 * A BOLT profile on disk: a directory with one `<build id>.fdata` per
 * instrumented file (what the BOLT-optimized build reads). Merging sums the
 * files of the same name, combining weighs each contributor's tree first;
 * every file is written in fdata.ts's canonical order, so equal counts give
 * equal bytes. Profiles of two files are never mixed: they are keyed by
 * function names, which differ in meaning between files.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncPath } from '../durable/durable-file.js';
import { InputError } from '../errors/errors.js';
import {
  addFdata,
  type FdataParse,
  FdataReader,
  fdataMass,
  renderFdata,
  scaleFdata,
  type FdataProfile,
} from '../formats/fdata.js';
import { publish } from './publish-output.js';

export type FdataTree = Map<string, FdataProfile>;

/** Reads one profile a chunk at a time: memory grows with its distinct branches, never with its size. */
export function readFdataFile(path: string): FdataParse {
  const reader = new FdataReader(true);
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let at = 0; ; ) {
      const n = readSync(fd, buf, 0, buf.length, at);
      if (n === 0) break;
      reader.feed(buf.subarray(0, n));
      at += n;
    }
  } finally {
    closeSync(fd);
  }
  return reader.end();
}

/** Reads every `.fdata` file of a tree; throws on one that does not parse (a tree is checked before use). */
export function readFdataTree(dir: string): FdataTree {
  const tree: FdataTree = new Map();
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.fdata')) continue;
    const parsed = readFdataFile(join(dir, name));
    if (!parsed.ok)
      throw new InputError('PROFILE_INVALID', `${join(dir, name)}: not a whole BOLT profile: ${parsed.detail}`);
    tree.set(name, parsed.profile);
  }
  return tree;
}

/** A problem in words, or null when `dir` is a whole BOLT profile: at least one file, each well-formed. */
export function checkFdataTree(dir: string): string | null {
  const names = readdirSync(dir).filter((n) => n.endsWith('.fdata'));
  if (names.length === 0) return `${dir} holds no .fdata file`;
  for (const name of names) {
    const parsed = readFdataFile(join(dir, name));
    if (!parsed.ok) return `${join(dir, name)}: ${parsed.detail}`;
  }
  return null;
}

/** `base` plus `more`, file by file. */
export function addFdataTrees(base: FdataTree, more: FdataTree): FdataTree {
  for (const [name, profile] of more) base.set(name, addFdata(base.get(name) ?? new Map(), profile));
  return base;
}

/** The sum of several trees, each scaled by its weight in (0, 1]. */
export function combineFdataTrees(parts: readonly { tree: FdataTree; weight: number }[]): FdataTree {
  const out: FdataTree = new Map();
  for (const part of parts) {
    const scaled: FdataTree = new Map(
      [...part.tree].map(([name, profile]) => [name, scaleFdata(profile, part.weight)]),
    );
    addFdataTrees(out, scaled);
  }
  return out;
}

export function fdataTreeMass(tree: FdataTree): number {
  let mass = 0;
  for (const profile of tree.values()) mass += fdataMass(profile);
  return mass;
}

/** Branch counts keyed by file and branch, for the overlap of two merges. */
export function fdataTreeCounters(tree: FdataTree): Map<string, bigint> {
  const counters = new Map<string, bigint>();
  for (const [name, profile] of tree)
    for (const [key, counts] of profile) counters.set(`${name}\0${key}`, counts.count);
  return counters;
}

/** Writes a tree to `target` through a temporary directory (every file and the directory fsynced). */
export async function writeFdataTree(tree: FdataTree, target: string): Promise<void> {
  const tmp = `${target}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const [name, profile] of [...tree].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (profile.size === 0) continue;
    writeFileSync(join(tmp, name), renderFdata(profile));
    fsyncPath(join(tmp, name));
  }
  await publish(tmp, target);
}
