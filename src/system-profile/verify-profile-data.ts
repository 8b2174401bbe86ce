/**
 * That a profile the daemon proposes is profile data in the Nix store, the
 * content its lock entry names: the path is the one Nix computes for that
 * name, hash mode and hash (so the Nix daemon checked the content against the
 * hash when anyone added it), it is valid, and it has the form of the
 * format's data: an indexed LLVM profile, or a tree of directories and
 * regular `.gcda` / `.fdata` files only (no link that could lead a reader
 * elsewhere), each of which parses. Root reads nothing else from it.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { boltFormat } from '../merge/bolt-format.js';
import { clangFormat } from '../merge/clang-format.js';
import { gccFormat } from '../merge/gcc-format.js';
import type { LockedProfile } from '../store/lock-file.js';
import { storeNameFor } from '../store/store-profile.js';
import { isValidPath, printFixedPath } from '../tools/nix-store.js';

/** More files than a merged profile of one package has; a tree this large is refused before it is read. */
const MAX_TREE_ENTRIES = 100_000;

/** Why a tree is not only directories and regular files of the suffix, or null (reads directories, never follows a link). */
function checkTreeShape(root: string, suffix: string): string | null {
  let entries = 0;
  const walk = (dir: string): string | null => {
    for (const name of readdirSync(dir)) {
      if (++entries > MAX_TREE_ENTRIES) return `${root} has more than ${MAX_TREE_ENTRIES} entries`;
      const path = join(dir, name);
      const stat = lstatSync(path);
      if (stat.isDirectory()) {
        const inner = walk(path);
        if (inner !== null) return inner;
      } else if (!stat.isFile() || !name.endsWith(suffix)) {
        return `${path} is not a regular ${suffix} file`;
      }
    }
    return null;
  };
  return walk(root);
}

/** null when `profile` is the profile data it claims to be, else why not. */
export async function verifyProfileData(profile: LockedProfile, name: string, bolt: boolean): Promise<string | null> {
  const recursive = profile.hashMode === 'recursive';
  const expected = await printFixedPath({ recursive, hash: profile.hash, name: storeNameFor(name, recursive, bolt) });
  if (expected !== profile.storePath) return `${profile.storePath} is not the store path of its hash (${expected})`;
  if (!(await isValidPath(profile.storePath))) return `${profile.storePath} is not in the Nix store`;
  const stat = lstatSync(profile.storePath);
  if (!recursive) {
    if (!stat.isFile()) return `${profile.storePath} is not a regular file`;
    return clangFormat.check(profile.storePath);
  }
  if (!stat.isDirectory()) return `${profile.storePath} is not a directory`;
  const shape = checkTreeShape(profile.storePath, bolt ? '.fdata' : '.gcda');
  if (shape !== null) return shape;
  return (bolt ? boltFormat : gccFormat).check(profile.storePath);
}
