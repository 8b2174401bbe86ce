/**
 * Puts a merged profile into the Nix store as a content-addressed path and
 * roots it; once a build with it is active, lockProfile records it.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { addFixed, addRoot, queryNarHash } from '../tools/nix-store.js';
import { emptyLockFile, parseLockFile, renderLockFile, withLockedProfile, type LockedProfile, type LockSection } from './lock-file.js';
import { writeFileAtomic } from '../durable/durable-file.js';

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
function storeNameFor(name: string, isDirectory: boolean, bolt: boolean): string {
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
  mkdirSync(request.gcRootDir, { recursive: true });
  await addRoot(storePath, join(request.gcRootDir, gcRootName(request.name, request.bolt ?? false)));

  const hash = isDirectory
    ? await queryNarHash(storePath)
    : `sha256:${createHash('sha256').update(readFileSync(storePath)).digest('hex')}`;
  const entry: LockedProfile = {
    storePath,
    hashMode: isDirectory ? 'recursive' : 'flat',
    hash,
    generation: request.generation,
    lockedAt: (request.now ?? new Date()).toISOString(),
  };
  return entry;
}

/** The GC root of a package's stored profile: `NAME-profile`, or `NAME#bolt-profile` (`#` is in no package name). */
export function gcRootName(name: string, bolt: boolean): string {
  return `${name}${bolt ? '#bolt' : ''}-profile`;
}

/** Which package and which of its profiles a GC root link is for, or null for a name nix-pgo does not give. */
export function parseGcRootName(link: string): { name: string; section: LockSection } | null {
  const match = /^(.+?)(#bolt)?-profile$/.exec(link);
  return match ? { name: match[1]!, section: match[2] ? 'boltProfiles' : 'packages' } : null;
}

/** Records `entry` as the package's profile (of `section`) in the lock file, keeping the rest. */
export function lockProfile(lockFile: string, name: string, entry: LockedProfile, section: LockSection = 'packages'): void {
  writeFileAtomic(lockFile, renderLockFile(withLockedProfile(readLock(lockFile), name, entry, section)));
}

/** The package's locked profile of `section`, or null. */
export function readLockedProfile(lockFile: string, name: string, section: LockSection = 'packages'): LockedProfile | null {
  return readLock(lockFile)[section]?.[name] ?? null;
}

function readLock(lockFile: string) {
  return existsSync(lockFile) ? parseLockFile(readFileSync(lockFile, 'utf8'), lockFile) : emptyLockFile();
}
