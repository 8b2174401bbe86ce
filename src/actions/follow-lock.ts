/**
 * The lock file follows what the user makes active. An evaluation from the
 * lock (the next nixos-rebuild, home-manager switch) builds the optimized
 * variant of every package it names under `packages`, and the BOLT-optimized
 * one of every package also under `boltProfiles`. So a package switched or
 * rolled back to its profiling variant (or to none) loses its entries; one
 * switched to its optimized (or BOLT-instrumented) variant keeps, or gets
 * again, the entry of the profile that variant was built with and loses its
 * BOLT entry; one switched to its BOLT-optimized variant gets both. The
 * profiles themselves stay in the store, rooted.
 */
import type { LifecycleRecord } from '../model/lifecycle-record.js';
import type { Variant } from '../model/variants.js';
import type { LockedProfile, LockSection } from '../store/lock-file.js';
import { describeStoredProfile, lockProfile, readLockFile, unlockProfile } from '../store/store-profile.js';
import type { ActionContext } from './action-context.js';

/** What happened to the package's lock entries. */
export type LockChange = 'locked' | 'unlocked' | 'unchanged';

type SectionStep = { type: 'lock'; entry: LockedProfile } | { type: 'unlock' } | { type: 'none' };

export type LockStep = Record<LockSection, SectionStep>;

/** The profile each section must name for `variant` to be what an evaluation from the lock builds (pure). */
export function wantedLock(
  record: LifecycleRecord,
  variant: Variant | null,
): Record<LockSection, { storePath: string; generation: number } | null> {
  const pgo = variant === 'optimized' || variant === 'bolt-profile' || variant === 'bolt-optimized';
  return {
    packages:
      pgo && record.profileStorePath !== null
        ? { storePath: record.profileStorePath, generation: record.profileGeneration ?? 0 }
        : null,
    boltProfiles:
      variant === 'bolt-optimized' && record.boltProfileStorePath
        ? { storePath: record.boltProfileStorePath, generation: record.boltProfileGeneration ?? 0 }
        : null,
  };
}

/**
 * What the lock needs for `variant` of `record` to be active: prepared before
 * the switch, so a profile that is gone fails before anything changes.
 */
export async function prepareLock(
  ctx: Pick<ActionContext, 'layout' | 'now'>,
  record: LifecycleRecord,
  variant: Variant | null,
): Promise<LockStep> {
  const lock = readLockFile(ctx.layout.lockFile);
  const wanted = wantedLock(record, variant);
  const step = async (section: LockSection): Promise<SectionStep> => {
    const current = lock[section]?.[record.name];
    const want = wanted[section];
    if (want === null) return current ? { type: 'unlock' } : { type: 'none' };
    if (current?.storePath === want.storePath) return { type: 'none' };
    const entry = await describeStoredProfile({
      name: record.name,
      ...want,
      gcRootDir: ctx.layout.gcRootDir,
      now: ctx.now(),
      bolt: section === 'boltProfiles',
    });
    return { type: 'lock', entry };
  };
  return { packages: await step('packages'), boltProfiles: await step('boltProfiles') };
}

/** Writes what prepareLock decided, once the switch is done. */
export function applyLock(ctx: Pick<ActionContext, 'layout'>, name: string, step: LockStep): LockChange {
  const changes = (['packages', 'boltProfiles'] as const).map((section): LockChange => {
    const s = step[section];
    if (s.type === 'lock') {
      lockProfile(ctx.layout.lockFile, name, s.entry, section);
      return 'locked';
    }
    if (s.type === 'unlock') return unlockProfile(ctx.layout.lockFile, name, section) ? 'unlocked' : 'unchanged';
    return 'unchanged';
  });
  return changes.includes('locked') ? 'locked' : changes.includes('unlocked') ? 'unlocked' : 'unchanged';
}
