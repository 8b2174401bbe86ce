/**
 * Puts a merged profile into the Nix store as a content-addressed path and
 * roots it; once a build with it is active, lockProfile records it.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { addFixed, addRoot, queryNarHash } from '../tools/nix-store.js';
import {
  emptyLockFile,
  parseLockFile,
  renderLockFile,
  withLockedProfile,
  withoutLockedProfile,
  type LockFile,
  type LockedProfile,
  type LockSection,
} from './lock-file.js';
import { currentNixSystem } from './nix-system.js';
import { writeFileAtomic } from '../durable/durable-file.js';
import { StateError } from '../errors/errors.js';

export interface StoreProfileRequest {
  /** Package name (the config's key), used for the store name and the root. */
  name: string;
  /** The merged profile: a file (clang) or a directory (GCC, BOLT). */
  mergedPath: string;
  /** A BOLT profile (a directory of fdata files) rather than a PGO one. */
  bolt?: boolean;
  generation: number;
  /** Directory for GC root links. */
  gcRootDir: string;
  /** Scratch directory for giving the profile its store name. */
  workDir: string;
  now?: Date;
}

/** The store name tells a user what a path is: `pgo-calc.profdata`, `pgo-calc-gcda` or `bolt-calc-fdata`. */
export function storeNameFor(name: string, isDirectory: boolean, bolt: boolean): string {
  if (bolt) return `bolt-${name}-fdata`;
  return isDirectory ? `pgo-${name}-gcda` : `pgo-${name}.profdata`;
}

export async function storeProfile(request: StoreProfileRequest): Promise<LockedProfile> {
  const isDirectory = statSync(request.mergedPath).isDirectory();
  // nix-store --add-fixed names the path after the file, so stage it under its store name.
  mkdirSync(request.workDir, { recursive: true });
  const staged = join(request.workDir, storeNameFor(request.name, isDirectory, request.bolt ?? false));
  rmSync(staged, { recursive: true, force: true });
  if (isDirectory) cpSync(request.mergedPath, staged, { recursive: true });
  else copyFileSync(request.mergedPath, staged);

  const storePath = await addFixed(staged, { recursive: isDirectory });
  rmSync(staged, { recursive: true, force: true });
  return describeStoredProfile({
    name: request.name,
    storePath,
    generation: request.generation,
    gcRootDir: request.gcRootDir,
    now: request.now,
    bolt: request.bolt,
  });
}

/**
 * The lock entry of a profile already in the store (roots it again under the
 * package's name): what storeProfile returns, and what `nix-pgo switch NAME
 * optimized` locks again after a switch back to profiling unlocked it.
 */
export async function describeStoredProfile(request: {
  name: string;
  storePath: string;
  generation: number;
  gcRootDir: string;
  now?: Date;
  bolt?: boolean;
}): Promise<LockedProfile> {
  const { storePath } = request;
  if (!existsSync(storePath)) {
    throw new StateError('STATE', `the profile ${storePath} of ${request.name} is no longer in the Nix store`, {
      hints: [`build the optimized variant again from the newest merge: nix-pgo build ${request.name}`],
    });
  }
  mkdirSync(request.gcRootDir, { recursive: true });
  await addRoot(
    storePath,
    join(request.gcRootDir, gcRootName(request.name, request.bolt ?? false, request.generation)),
  );
  const isDirectory = statSync(storePath).isDirectory();
  const hash = isDirectory
    ? await queryNarHash(storePath)
    : `sha256:${createHash('sha256').update(readFileSync(storePath)).digest('hex')}`;
  const system = currentNixSystem();
  return {
    storePath,
    hashMode: isDirectory ? 'recursive' : 'flat',
    hash,
    generation: request.generation,
    lockedAt: (request.now ?? new Date()).toISOString(),
    ...(system === null ? {} : { system }),
  };
}

/**
 * The GC root of one stored profile: `NAME-profile-GEN`, or `NAME#bolt-profile-GEN` (`#` is in no
 * package name). One per merge generation, so storing a new profile never unroots the locked one
 * while its build runs (or after it failed); `nix-pgo gc` removes the roots nothing needs.
 */
export function gcRootName(name: string, bolt: boolean, generation: number): string {
  return `${name}${bolt ? '#bolt' : ''}-profile-${generation}`;
}

/** The lock file as it is on disk; empty when there is none yet. */
export function readLockFile(lockFile: string): LockFile {
  return existsSync(lockFile) ? parseLockFile(readFileSync(lockFile, 'utf8'), lockFile) : emptyLockFile();
}

/** The package's locked profile of `section`, or null. */
export function readLockedProfile(
  lockFile: string,
  name: string,
  section: LockSection = 'packages',
): LockedProfile | null {
  return readLockFile(lockFile)[section]?.[name] ?? null;
}

/** Records `entry` as the package's profile (of `section`) in the lock file, keeping the rest. */
export function lockProfile(
  lockFile: string,
  name: string,
  entry: LockedProfile,
  section: LockSection = 'packages',
): void {
  writeFileAtomic(lockFile, renderLockFile(withLockedProfile(readLockFile(lockFile), name, entry, section)));
}

/**
 * Removes the package's entry of `section` from the lock file, so the next
 * evaluation from it (nixos-rebuild) uses the variant before it; the profile
 * stays in the store. Returns whether there was an entry.
 */
export function unlockProfile(lockFile: string, name: string, section: LockSection = 'packages'): boolean {
  const lock = readLockFile(lockFile);
  const next = withoutLockedProfile(lock, name, section);
  if (next === lock) return false;
  writeFileAtomic(lockFile, renderLockFile(next));
  return true;
}
