/**
 * Which spool files are this collector's to take. A file is taken only when
 * a managed package claims it (by the build ids in a raw profile's header, a
 * BOLT profile's name, or a gcda file's baked directory) and trusts its
 * contributor. Anything else belongs to another user or another daemon
 * sharing the directories: it is left alone (not read past a raw profile's
 * header, not moved, not quarantined) and only counted. Trust is decided
 * before any byte is read: a file of a uid no package of its format trusts is
 * not even opened.
 */
import type { ProfileManifest } from '../formats/manifest.js';
import { peekBinaryIds, RAW_HEADER_PEEK } from '../formats/raw-profile.js';
import type { SpoolFile } from '../spool/scan.js';
import { findGcdaOwner, trusts, type Attribution } from './attribution.js';
import { readHeads } from './open-spool-file.js';

/** `package`: the package a file of ours goes to (null: none, the harvest quarantines it). */
export type Claim =
  | { ours: true; package: string | null }
  | { ours: false; why: 'untrusted' | 'unknown-build' }
  | { ours: 'read-header' };

const TOOLCHAIN: Record<SpoolFile['format'], ProfileManifest['toolchain']> = {
  llvm: 'clang',
  gcda: 'gcc',
  fdata: 'bolt',
};

/** Whether any managed package of the file's format trusts `uid`: else nothing of theirs is read. */
function trustedByAny(attribution: Attribution, format: SpoolFile['format'], uid: number): boolean {
  for (const pkg of attribution.packages.values()) {
    if (pkg.manifest.toolchain !== TOOLCHAIN[format]) continue;
    if (pkg.trust.anyone || pkg.trust.uids.has(uid)) return true;
  }
  return false;
}

function byPackage(attribution: Attribution, owner: string | undefined, uid: number): Claim {
  if (owner === undefined) return { ours: false, why: 'unknown-build' };
  return trusts(attribution, owner, uid) ? { ours: true, package: owner } : { ours: false, why: 'untrusted' };
}

/** Pure: the claim from what the scan saw, or `read-header` when a raw profile's build ids decide it. */
export function claimByName(file: SpoolFile, attribution: Attribution): Claim {
  if (!trustedByAny(attribution, file.format, file.uid)) return { ours: false, why: 'untrusted' };
  if (file.format === 'fdata')
    return byPackage(attribution, attribution.byBoltId.get(file.fdata?.buildId ?? ''), file.uid);
  if (file.format === 'gcda') {
    const found = file.gcdaPath === undefined ? null : findGcdaOwner(attribution, file.gcdaPath);
    return byPackage(attribution, found?.package, file.uid);
  }
  return { ours: 'read-header' };
}

/**
 * Pure: the claim on a raw profile from its first bytes. A header this reader cannot take, or one without
 * build ids, is ours to report (its contributor is trusted): the harvest quarantines it with its reason.
 */
export function claimByHeader(file: SpoolFile, head: Buffer, attribution: Attribution): Claim {
  if (head.length === 0) return { ours: true, package: null };
  const ids = peekBinaryIds(head);
  if (ids === null || ids.length === 0) return { ours: true, package: null };
  const owners = ids.map((id) => attribution.byBuildId.get(id)).filter((p): p is string => p !== undefined);
  return byPackage(attribution, owners[0], file.uid);
}

export interface Claimed {
  /**
   * Grouped by package (in the scan's order within one): a harvest batch then holds few packages, so each
   * package gets few staging files and merges while the batches of the others are still being harvested.
   */
  ours: SpoolFile[];
  /** Files of other users or daemons, left as they are. */
  leftAlone: SpoolFile[];
}

export async function claimFiles(files: readonly SpoolFile[], attribution: Attribution): Promise<Claimed> {
  const byName = files.map((file) => claimByName(file, attribution));
  const unread = files.filter((_, i) => byName[i]!.ours === 'read-header');
  const heads = new Map(zip(unread, await readHeads(unread, RAW_HEADER_PEEK)));
  const ours = new Map<string | null, SpoolFile[]>();
  const leftAlone: SpoolFile[] = [];
  for (const [i, file] of files.entries()) {
    let claim = byName[i]!;
    if (claim.ours === 'read-header') {
      // Unreadable now (gone, swapped): the harvest meets it again and deals with it.
      const head = heads.get(file) ?? null;
      claim = head === null ? { ours: true, package: null } : claimByHeader(file, head, attribution);
    }
    if (claim.ours !== true) {
      leftAlone.push(file);
      continue;
    }
    const group = ours.get(claim.package);
    if (group) group.push(file);
    else ours.set(claim.package, [file]);
  }
  return { ours: [...ours.values()].flat(), leftAlone };
}

function zip<A, B>(as: readonly A[], bs: readonly B[]): [A, B][] {
  return as.map((a, i) => [a, bs[i]!]);
}
