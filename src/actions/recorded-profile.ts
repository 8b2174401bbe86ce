/** The profile a package's optimized (or BOLT-optimized) variant was built with, as a build names it again. */
import type { LifecycleRecord } from '../model/lifecycle-record.js';
import type { LockedProfile, LockSection } from '../store/lock-file.js';
import { describeStoredProfile, readLockedProfile } from '../store/store-profile.js';
import type { ActionContext } from './action-context.js';

/**
 * The lock's entry when it names the record's profile (a carry-over builds the new derivation with
 * exactly what the lock holds, so an evaluation from the lock gives the same build); else the
 * profile described again from the store (a package held on its profiling variant is out of the lock).
 */
export async function recordedProfile(
  ctx: Pick<ActionContext, 'layout' | 'now'>,
  record: LifecycleRecord,
  section: LockSection,
): Promise<LockedProfile | null> {
  const storePath = section === 'packages' ? record.profileStorePath : (record.boltProfileStorePath ?? null);
  const generation = section === 'packages' ? record.profileGeneration : (record.boltProfileGeneration ?? null);
  if (storePath === null) return null;
  const locked = readLockedProfile(ctx.layout.lockFile, record.name, section);
  if (locked?.storePath === storePath) return locked;
  return describeStoredProfile({
    name: record.name,
    storePath,
    generation: generation ?? 0,
    gcRootDir: ctx.layout.gcRootDir,
    now: ctx.now(),
    bolt: section === 'boltProfiles',
  });
}
