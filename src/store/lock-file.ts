/**
 * The lock file records, per package, the merged profile in the Nix store and
 * its hash, so a pure evaluation can name the same profile again
 * (nix/lock.nix turns each entry into a fixed-output derivation): PGO profiles
 * under `packages`, BOLT profiles under `boltProfiles`.
 */
import { StateError } from '../errors/errors.js';

export interface LockedProfile {
  /** Content-addressed store path of the profile. */
  storePath: string;
  /** `flat` for a .profdata file, `recursive` for a gcda or BOLT directory. */
  hashMode: 'flat' | 'recursive';
  /** `sha256:<hex>` for flat files, `sha256:<base32>` (NAR hash) for directories. */
  hash: string;
  /** The merge generation this profile came from. */
  generation: number;
  lockedAt: string;
  /**
   * The Nix system of the profile's fixed-output derivation (`x86_64-linux`),
   * so a pure evaluation makes the same derivation as the daemon. Lock files
   * written before it existed lack it: evaluations then use their own system.
   */
  system?: string;
  /**
   * The instrumented build whose runs the profile holds (its package, version and derivation);
   * absent in entries written before it was recorded.
   */
  source?: { name: string; version: string | null; drvPath: string };
  /**
   * How much of the profile the optimized build of `drvPath` uses, measured on its instrumented
   * twin: the share of the profile's counts, and of its functions with counts; absent until measured.
   */
  match?: { drvPath: string; share: number; functions: number; matched: number; measuredAt: string };
}

export interface LockFile {
  version: 1;
  packages: Record<string, LockedProfile>;
  /** Absent when no package has a BOLT profile (lock files from before BOLT). */
  boltProfiles?: Record<string, LockedProfile>;
}

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
  const problems: string[] = [];
  const lock = data as Partial<LockFile> | null;
  if (typeof lock !== 'object' || lock === null) problems.push('the top level must be an object');
  else {
    if (lock.version !== 1) problems.push(`version must be 1, found ${JSON.stringify(lock.version)}`);
    for (const section of ['packages', 'boltProfiles'] as const) {
      const entries = lock[section];
      if (entries === undefined && section === 'boltProfiles') continue;
      if (typeof entries !== 'object' || entries === null) {
        problems.push(`${section} must be an object`);
        continue;
      }
      for (const [name, entry] of Object.entries(entries)) {
        if (typeof entry?.storePath !== 'string' || !entry.storePath.startsWith('/'))
          problems.push(`${section}.${name}.storePath must be a store path`);
        if (entry?.hashMode !== 'flat' && entry?.hashMode !== 'recursive')
          problems.push(`${section}.${name}.hashMode must be flat or recursive`);
        if (typeof entry?.hash !== 'string' || !entry.hash.startsWith('sha256:'))
          problems.push(`${section}.${name}.hash must start with sha256:`);
        if (
          entry?.system !== undefined &&
          (typeof entry.system !== 'string' || !/^[A-Za-z0-9_]+-[A-Za-z0-9_]+$/.test(entry.system))
        ) {
          problems.push(`${section}.${name}.system must be a Nix system such as x86_64-linux`);
        }
      }
    }
  }
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
