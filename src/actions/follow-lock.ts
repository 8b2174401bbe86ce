/**
 * The lock file follows what the user makes active. An evaluation from the
 * lock (the next nixos-rebuild, home-manager switch) builds the optimized
 * variant of every package it names, so a package the user switched or rolled
 * back to its profiling variant (or to none) loses its entry, and one switched
 * to its optimized variant gets the entry of the profile that variant was
 * built with again. The profile itself stays in the store, rooted.
 */
import type { LifecycleRecord, Variant } from '../state/lifecycle-records.js';
import type { LockedProfile } from '../store/lock-file.js';
import { describeStoredProfile, lockProfile, readLockFile, unlockProfile } from '../store/store-profile.js';
import type { ActionContext } from './action-context.js';

/** What happened to the package's lock entry. */
export type LockChange = 'locked' | 'unlocked' | 'unchanged';

export type LockStep = { type: 'lock'; entry: LockedProfile } | { type: 'unlock' } | { type: 'none' };

/**
 * What the lock needs for `variant` of `record` to be active: prepared before
 * the switch, so a profile that is gone fails before anything changes.
 */
export async function prepareLock(ctx: Pick<ActionContext, 'layout' | 'now'>, record: LifecycleRecord, variant: Variant | null): Promise<LockStep> {
  const current = readLockFile(ctx.layout.lockFile).packages[record.name];
  if (variant !== 'optimized' || record.profileStorePath === null) return current ? { type: 'unlock' } : { type: 'none' };
  if (current?.storePath === record.profileStorePath) return { type: 'none' };
  const entry = await describeStoredProfile({
    name: record.name,
    storePath: record.profileStorePath,
    generation: record.profileGeneration ?? 0,
    gcRootDir: ctx.layout.gcRootDir,
    now: ctx.now(),
  });
  return { type: 'lock', entry };
}

/** Writes what prepareLock decided, once the switch is done. */
export function applyLock(ctx: Pick<ActionContext, 'layout'>, name: string, step: LockStep): LockChange {
  switch (step.type) {
    case 'lock':
      lockProfile(ctx.layout.lockFile, name, step.entry);
      return 'locked';
    case 'unlock':
      return unlockProfile(ctx.layout.lockFile, name) ? 'unlocked' : 'unchanged';
    case 'none':
      return 'unchanged';
  }
}
