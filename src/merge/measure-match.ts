/**
 * How much of a profile a build can use (pure): each function of the profile
 * whose key (its identity and its control-flow hash or checksums) is among the
 * keys of the build's instrumented twin is used; the compiler discards every
 * other one. And how to weigh a carried-over profile against fresh data.
 */
import type { ProfileMatch } from '../model/profile-match.js';

export type { ProfileMatch } from '../model/profile-match.js';

/** One function of a merged profile, as its format reads it. */
export interface ProfileRecord {
  /** What the compiler looks it up by: identity and hash (build-keys.ts names them the same way). */
  key: string;
  /** The function whatever its hash: the key without the hash or checksums. */
  identity: string;
  /** For people: the function's name (LLVM), or its object and ident (GCC, whose profiles name no function). */
  name: string;
  /** The sum of its block counters. */
  mass: number;
}

/** How many lost functions a match names. */
const LOST_NAMED = 5;

export function measureMatch(records: readonly ProfileRecord[], buildKeys: readonly string[]): ProfileMatch {
  const keys = new Set(buildKeys);
  const identities = new Set(buildKeys.map(identityOfKey));
  const withCounts = records.filter((r) => r.mass > 0);
  const total = withCounts.reduce((sum, r) => sum + r.mass, 0);
  const lost = withCounts.filter((r) => !keys.has(r.key));
  const changed = lost.filter((r) => identities.has(r.identity)).length;
  const lostMass = lost.reduce((sum, r) => sum + r.mass, 0);
  return {
    functions: withCounts.length,
    matched: withCounts.length - lost.length,
    changed,
    gone: lost.length - changed,
    share: total > 0 ? (total - lostMass) / total : 1,
    lost: [...lost]
      .sort((a, b) => b.mass - a.mass)
      .slice(0, LOST_NAMED)
      .map((r) => ({ name: r.name, share: total > 0 ? r.mass / total : 0 })),
  };
}

/** A key without its hash: LLVM's `md5:hash` → `md5`; GCC's `object:ident:lineno:cfg` → `object:ident`. */
export function identityOfKey(key: string): string {
  const parts = key.split(':');
  return parts.length > 2 ? parts.slice(0, -2).join(':') : parts.slice(0, -1).join(':');
}

/**
 * The factors in (0, 1] for merging fresh data with a carried-over profile so
 * that both weigh the same on the functions they share: a short refresh window
 * holds far fewer counts than months of training, and unweighed, the functions
 * only the fresh data knows (those whose code changed) would look cold next to
 * the old ones. The larger side is scaled down; with nothing shared, neither is.
 */
export function planCarryWeights(freshShared: number, carriedShared: number): { fresh: number; carried: number } {
  if (!(freshShared > 0) || !(carriedShared > 0)) return { fresh: 1, carried: 1 };
  return carriedShared >= freshShared
    ? { fresh: 1, carried: freshShared / carriedShared }
    : { fresh: carriedShared / freshShared, carried: 1 };
}
