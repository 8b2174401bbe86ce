/**
 * `nix-pgo switch`: one package's profiling or latest optimized variant into
 * the Nix profile, recorded in the lifecycle table so a running daemon and
 * `status` see it, and the lock file made to follow (follow-lock.ts). Works
 * beside a running daemon (no collector needed).
 */
import { activeSetWith } from '../activate/active-set.js';
import { switchProfile } from '../activate/switch-profile.js';
import { InputError } from '../errors/errors.js';
import { afterUserSwitch } from '../lifecycle/next-record.js';
import { listLifecycles, saveLifecycle, type Variant } from '../state/lifecycle-records.js';
import type { ActionContext } from './action-context.js';
import { applyLock, prepareLock, type LockChange } from './follow-lock.js';
import { requireProfiled } from './require-profiled.js';

export interface SwitchResult {
  name: string;
  variant: Variant;
  storePath: string;
  generation: number;
  /** The package's entry in the lock file: dropped for the profiling variant, written again for the optimized one. */
  lock: LockChange;
}

export async function switchVariant(ctx: ActionContext, name: string, variant: Variant): Promise<SwitchResult> {
  const record = requireProfiled(ctx, name);
  if (record.state === 'building') throw new InputError('STATE', `${name} is being built; switch when the build has ended`, { hints: [`follow it with: nix-pgo status ${name}`] });
  const storePath = variant === 'profile' ? record.profilingPath! : record.optimizedPath;
  if (!storePath) throw new InputError('STATE', `${name} has no optimized variant yet`, { hints: [`see why: nix-pgo status ${name}`] });
  // Before the switch: a profile that is no longer in the store stops it here.
  const lockStep = await prepareLock(ctx, record, variant);
  const generation = await switchProfile(ctx.config.nixProfile, activeSetWith(listLifecycles(ctx.db), name, storePath));
  const next = afterUserSwitch(
    record,
    {
      variant,
      storePath,
      generation,
      // Going back to profiling by hand means: stay there until asked.
      held: variant === 'profile',
      reason: variant === 'profile' ? 'switched back to the profiling variant by the user; held until nix-pgo switch or build' : 'switched to the optimized variant by the user',
    },
    ctx.now(),
  );
  saveLifecycle(ctx.db, next, 'switched', { variant, storePath, generation, byUser: true });
  const lock = applyLock(ctx, name, lockStep);
  await ctx.notifier.notify({ type: 'switched', package: name, variant, storePath, generation });
  return { name, variant, storePath, generation, lock };
}
