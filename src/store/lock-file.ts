/**
 * The lock file records, per package, the merged profile in the Nix store and
 * its hash, so a pure evaluation can name the same profile again
 * (nix/lock.nix turns each entry into a fixed-output derivation).
 */
import { InputError } from '../errors/errors.js';

export interface LockedProfile {
  /** Content-addressed store path of the profile. */
  storePath: string;
  /** `flat` for a .profdata file, `recursive` for a gcda directory. */
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
}

export interface LockFile {
  version: 1;
  packages: Record<string, LockedProfile>;
}

export function emptyLockFile(): LockFile {
  return { version: 1, packages: {} };
}

/** Parses lock file text (pure); every problem is reported at once. */
export function parseLockFile(text: string, file: string): LockFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new InputError('STATE', `${file}: not valid JSON (${(error as Error).message})`, {
      hints: [`move ${file} away; nix-pgo writes a new one at the next switch`],
    });
  }
  const problems: string[] = [];
  const lock = data as Partial<LockFile> | null;
  if (typeof lock !== 'object' || lock === null) problems.push('the top level must be an object');
  else {
    if (lock.version !== 1) problems.push(`version must be 1, found ${JSON.stringify(lock.version)}`);
    if (typeof lock.packages !== 'object' || lock.packages === null) problems.push('packages must be an object');
    else {
      for (const [name, entry] of Object.entries(lock.packages)) {
        if (typeof entry?.storePath !== 'string' || !entry.storePath.startsWith('/')) problems.push(`packages.${name}.storePath must be a store path`);
        if (entry?.hashMode !== 'flat' && entry?.hashMode !== 'recursive') problems.push(`packages.${name}.hashMode must be flat or recursive`);
        if (typeof entry?.hash !== 'string' || !entry.hash.startsWith('sha256:')) problems.push(`packages.${name}.hash must start with sha256:`);
        if (entry?.system !== undefined && (typeof entry.system !== 'string' || !/^[A-Za-z0-9_]+-[A-Za-z0-9_]+$/.test(entry.system))) {
          problems.push(`packages.${name}.system must be a Nix system such as x86_64-linux`);
        }
      }
    }
  }
  if (problems.length > 0) {
    throw new InputError('STATE', `${file}: invalid lock file:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return data as LockFile;
}

/** The lock file with one package's entry replaced (pure). */
export function withLockedProfile(lock: LockFile, name: string, entry: LockedProfile): LockFile {
  return { ...lock, packages: { ...lock.packages, [name]: entry } };
}

/** The lock file without one package's entry (pure); the same object when it has none. */
export function withoutLockedProfile(lock: LockFile, name: string): LockFile {
  if (!Object.hasOwn(lock.packages, name)) return lock;
  const { [name]: _dropped, ...packages } = lock.packages;
  return { ...lock, packages };
}

export function renderLockFile(lock: LockFile): string {
  const sorted = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => a.localeCompare(b)));
  return `${JSON.stringify({ version: lock.version, packages: sorted }, null, 2)}\n`;
}
