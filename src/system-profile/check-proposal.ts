/**
 * Root's check of what the daemon proposes (pure). On NixOS the daemon runs
 * as its own user and proposes, per package, a merged profile (its lock
 * file) and a variant (its active-variants file); root builds its own
 * evaluation of exactly that and puts it on every user's PATH. Anything the
 * daemon's user writes is untrusted here, so every value must be one of a
 * closed set of forms, and whatever is not is rejected with its reason:
 *
 * - names: packages of root's config, with the variants root's config allows
 *   (BOLT only where the config turns it on);
 * - profiles: content-addressed store paths of profile data, the path exactly
 *   the one Nix gives (name, hash mode, hash), so no character of them can
 *   reach a Nix expression or a shell as anything but data;
 * - nothing else: unknown members, other versions, other systems.
 *
 * What the store holds at those paths is checked by verify-profile-data.ts.
 */
import { VARIANTS, type Variant } from '../model/variants.js';
import type { LockedProfile } from '../store/lock-file.js';
import { storeNameFor } from '../store/store-profile.js';

export interface ProposedPackage {
  name: string;
  /** What root's profile gets: `profile` means no element (the system's own variant). */
  variant: Variant;
  /** The PGO profile, for every variant but `profile`. */
  profile: LockedProfile | null;
  /** The BOLT profile, for `bolt-optimized`. */
  boltProfile: LockedProfile | null;
}

export interface Rejection {
  /** The package, or null for the proposal as a whole. */
  name: string | null;
  why: string;
}

export interface CheckedProposal {
  packages: ProposedPackage[];
  rejected: Rejection[];
}

export interface ProposalRules {
  /** The packages of root's config, and whether each may have BOLT variants. */
  packages: readonly { name: string; bolt: boolean }[];
  /** The Nix store directory (`/nix/store`). */
  storeDir: string;
  /** This machine's Nix system (`x86_64-linux`), or null when it has no single one. */
  system: string | null;
}

const ENTRY_KEYS = new Set(['storePath', 'hashMode', 'hash', 'generation', 'lockedAt', 'system', 'source', 'match']);
/** sha256 as base16 (flat files) or Nix's base32 (NAR hashes of directories). */
const HASH = /^sha256:([0-9a-f]{64}|[0-9abcdfghijklmnpqrsvwxyz]{52})$/;
const STORE_HASH = /^[0-9abcdfghijklmnpqrsvwxyz]{32}$/;
const SYSTEM = /^[a-z0-9_]+-[a-z0-9_]+$/;
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a value is an object with exactly these members, each passing its check. */
function hasExactly(value: unknown, members: Record<string, (v: unknown) => boolean>): boolean {
  if (!isObject(value)) return false;
  const keys = Object.keys(value);
  return (
    keys.length === Object.keys(members).length &&
    keys.every((key) => Object.hasOwn(members, key) && members[key]!(value[key]))
  );
}

const isWhole = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * The daemon's own bookkeeping in an entry (which build the profile came from, how much of it a build uses), in
 * the forms it writes; root only checks them and never carries them into its lock.
 */
function checkBookkeeping(entry: Record<string, unknown>, storeDir: string): string | null {
  const isDrv = (v: unknown) => typeof v === 'string' && v.startsWith(`${storeDir}/`) && v.endsWith('.drv');
  const isText = (v: unknown) => typeof v === 'string';
  if (
    entry.source !== undefined &&
    !hasExactly(entry.source, { name: isText, version: (v) => v === null || isText(v), drvPath: isDrv })
  )
    return 'has a source that is not the name, version and derivation nix-pgo writes';
  if (
    entry.match !== undefined &&
    !hasExactly(entry.match, {
      drvPath: isDrv,
      share: (v) => typeof v === 'number' && v >= 0 && v <= 1,
      functions: isWhole,
      matched: isWhole,
      measuredAt: (v) => typeof v === 'string' && TIMESTAMP.test(v),
    })
  )
    return 'has a match that is not the measurement nix-pgo writes';
  return null;
}

function parseJson(text: string, what: string): { value: unknown } | { why: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { why: `${what} is not valid JSON (${(error as Error).message})` };
  }
}

/** One lock entry, or why it is not a profile root can use. */
function checkEntry(
  entry: unknown,
  name: string,
  bolt: boolean,
  rules: ProposalRules,
): { profile: LockedProfile } | { why: string } {
  const what = `its ${bolt ? 'BOLT ' : ''}profile`;
  if (!isObject(entry)) return { why: `${what} is not an object` };
  const unknown = Object.keys(entry).filter((key) => !ENTRY_KEYS.has(key));
  if (unknown.length > 0) return { why: `${what} has members nix-pgo does not write: ${unknown.join(', ')}` };
  const { storePath, hashMode, hash, generation, lockedAt, system } = entry;
  if (hashMode !== 'flat' && hashMode !== 'recursive')
    return { why: `${what} has hashMode other than flat or recursive` };
  if (bolt && hashMode !== 'recursive') return { why: `${what} must be a directory (hashMode recursive)` };
  if (typeof hash !== 'string' || !HASH.test(hash)) return { why: `${what} has no sha256 hash nix-pgo writes` };
  if (!isWhole(generation)) return { why: `${what} has no generation (a whole number)` };
  if (typeof lockedAt !== 'string' || !TIMESTAMP.test(lockedAt)) return { why: `${what} has no lockedAt time` };
  const bookkeeping = checkBookkeeping(entry, rules.storeDir);
  if (bookkeeping !== null) return { why: `${what} ${bookkeeping}` };
  if (system !== undefined && (typeof system !== 'string' || !SYSTEM.test(system) || system !== rules.system))
    return { why: `${what} is for another system than this machine's (${rules.system ?? 'none'})` };
  const storeName = storeNameFor(name, hashMode === 'recursive', bolt);
  const prefix = `${rules.storeDir}/`;
  if (
    typeof storePath !== 'string' ||
    !storePath.startsWith(prefix) ||
    !STORE_HASH.test(storePath.slice(prefix.length, prefix.length + 32)) ||
    storePath.slice(prefix.length + 32) !== `-${storeName}`
  )
    return { why: `${what} is not a store path named ${storeName}` };
  return {
    profile: {
      storePath,
      hashMode,
      hash,
      generation,
      lockedAt,
      ...(system === undefined ? {} : { system }),
    },
  };
}

/** The lock's sections, or why the lock as a whole is unusable. */
function lockSections(
  lockText: string | null,
): { packages: Record<string, unknown>; boltProfiles: Record<string, unknown> } | { why: string } {
  if (lockText === null) return { packages: {}, boltProfiles: {} };
  const parsed = parseJson(lockText, 'the lock file');
  if ('why' in parsed) return parsed;
  const lock = parsed.value;
  if (!isObject(lock)) return { why: 'the lock file is not an object' };
  const unknown = Object.keys(lock).filter((key) => !['version', 'packages', 'boltProfiles'].includes(key));
  if (lock.version !== 1) return { why: 'the lock file is not version 1' };
  if (unknown.length > 0) return { why: `the lock file has members nix-pgo does not write: ${unknown.join(', ')}` };
  if (!isObject(lock.packages)) return { why: 'the lock file has no packages object' };
  if (lock.boltProfiles !== undefined && !isObject(lock.boltProfiles))
    return { why: 'the lock file has a boltProfiles that is not an object' };
  return { packages: lock.packages, boltProfiles: lock.boltProfiles ?? {} };
}

/** The variants file's entries, or null without one, or why it is unusable. */
function variantEntries(variantsText: string | null): { variants: Record<string, unknown> | null } | { why: string } {
  if (variantsText === null) return { variants: null };
  const parsed = parseJson(variantsText, 'the active-variants file');
  if ('why' in parsed) return parsed;
  const file = parsed.value;
  if (!isObject(file) || file.version !== 1 || !isObject(file.variants) || Object.keys(file).length !== 2)
    return { why: 'the active-variants file is not a version 1 object with only version and variants' };
  return { variants: file.variants };
}

/** The variant the lock alone implies, as the module's overlay reads it (nix/nixos/overlay.nix kindOf). */
function lockVariant(inPackages: boolean, inBolt: boolean, bolt: boolean): Variant {
  if (!inPackages) return 'profile';
  return inBolt && bolt ? 'bolt-optimized' : 'optimized';
}

export function checkProposal(
  proposal: { lockText: string | null; variantsText: string | null },
  rules: ProposalRules,
): CheckedProposal {
  const sections = lockSections(proposal.lockText);
  const variantsFile = variantEntries(proposal.variantsText);
  const rejected: Rejection[] = [];
  if ('why' in sections) return { packages: [], rejected: [{ name: null, why: sections.why }] };
  if ('why' in variantsFile) return { packages: [], rejected: [{ name: null, why: variantsFile.why }] };
  const known = new Map(rules.packages.map((p) => [p.name, p.bolt]));
  const own = (record: Record<string, unknown>, key: string) => Object.hasOwn(record, key);
  for (const [where, record] of [
    ['the lock file', sections.packages],
    ["the lock file's boltProfiles", sections.boltProfiles],
    ['the active-variants file', variantsFile.variants ?? {}],
  ] as const) {
    for (const name of Object.keys(record).filter((n) => !known.has(n)))
      rejected.push({ name: null, why: `${where} names ${JSON.stringify(name)}, which the config does not manage` });
  }

  const packages: ProposedPackage[] = [];
  for (const { name, bolt } of rules.packages) {
    const inPackages = own(sections.packages, name);
    const inBolt = own(sections.boltProfiles, name);
    const proposed =
      variantsFile.variants !== null && own(variantsFile.variants, name) ? variantsFile.variants[name] : undefined;
    const variant = variantsFile.variants === null ? lockVariant(inPackages, inBolt, bolt) : (proposed ?? 'profile');
    const reject = (why: string) => rejected.push({ name, why });
    if (typeof variant !== 'string' || !(VARIANTS as readonly string[]).includes(variant)) {
      reject('its proposed variant is not one nix-pgo builds');
      continue;
    }
    const v = variant as Variant;
    if (v === 'profile') {
      packages.push({ name, variant: v, profile: null, boltProfile: null });
      continue;
    }
    if ((v === 'bolt-profile' || v === 'bolt-optimized') && !bolt) {
      reject(`${v} is proposed, but the config does not turn BOLT on for it`);
      continue;
    }
    if (!inPackages) {
      reject(`${v} is proposed, but the lock file has no profile for it`);
      continue;
    }
    const profile = checkEntry(sections.packages[name], name, false, rules);
    if ('why' in profile) {
      reject(profile.why);
      continue;
    }
    let boltProfile: LockedProfile | null = null;
    if (v === 'bolt-optimized') {
      if (!inBolt) {
        reject('bolt-optimized is proposed, but the lock file has no BOLT profile for it');
        continue;
      }
      const checked = checkEntry(sections.boltProfiles[name], name, true, rules);
      if ('why' in checked) {
        reject(checked.why);
        continue;
      }
      boltProfile = checked.profile;
    }
    packages.push({ name, variant: v, profile: profile.profile, boltProfile });
  }
  return { packages, rejected };
}
