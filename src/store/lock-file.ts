/**
 * The lock file records, per package, the merged profile in the Nix store and
 * its hash, so a pure evaluation can name the same profile again
 * (nix/lock.nix turns each entry into a fixed-output derivation): PGO profiles
 * under `packages`, BOLT profiles under `boltProfiles`. Its format is
 * lock-file-schema.ts; here it is read, changed and written.
 */
import { StateError } from '../errors/errors.js';
import { formatProblems } from '../formats/format-problems.js';
import { type LockedProfile, type LockFile, LockFileSchema } from './lock-file-schema.js';

export type { LockedProfile, LockFile };

/** Which profile of a package: the PGO one, or the BOLT one for the BOLT-optimized variant. */
export type LockSection = 'packages' | 'boltProfiles';

export function emptyLockFile(): LockFile {
  return { version: 1, packages: {} };
}

/** Parses lock file text (pure); every problem is reported at once. */
export function parseLockFile(text: string, file: string): LockFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new StateError('STATE', `${file}: not valid JSON (${(error as Error).message})`, {
      hints: [`move ${file} away; nix-pgo writes a new one at the next switch`],
    });
  }
  const problems = formatProblems(LockFileSchema, data);
  if (problems.length > 0) {
    throw new StateError('STATE', `${file}: invalid lock file:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return data as LockFile;
}

/** The lock file with one package's entry of `section` replaced (pure). */
export function withLockedProfile(
  lock: LockFile,
  name: string,
  entry: LockedProfile,
  section: LockSection = 'packages',
): LockFile {
  return { ...lock, [section]: { ...lock[section], [name]: entry } };
}

/** The lock file without one package's entry of `section` (pure); the same object when it has none. */
export function withoutLockedProfile(lock: LockFile, name: string, section: LockSection = 'packages'): LockFile {
  const entries = lock[section];
  if (!entries || !Object.hasOwn(entries, name)) return lock;
  const { [name]: _dropped, ...rest } = entries;
  return { ...lock, [section]: rest };
}

export function renderLockFile(lock: LockFile): string {
  const sorted = (entries: Record<string, LockedProfile>) =>
    Object.fromEntries(Object.entries(entries).sort(([a], [b]) => a.localeCompare(b)));
  const bolt =
    lock.boltProfiles && Object.keys(lock.boltProfiles).length > 0 ? { boltProfiles: sorted(lock.boltProfiles) } : {};
  return `${JSON.stringify({ version: lock.version, packages: sorted(lock.packages), ...bolt }, null, 2)}\n`;
}
