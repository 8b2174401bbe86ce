/**
 * `nix-pgo reset NAME`: the package's cycle starts over. Its collected data is
 * forgotten, it leaves the lock file, and the next tick builds the profiling
 * variant of its current derivation and switches to it; its optimized variant
 * stays active (and its profile in the store) until then. With a daemon
 * running, the request is recorded and the daemon carries it out.
 */
import { findPackage } from '../config/find-package.js';
import { StateError } from '../errors/errors.js';
import { afterReset, afterResetRequested } from '../lifecycle/upgrade-records.js';
import type { LifecycleRecord } from '../model/lifecycle-record.js';
import { getLifecycle } from '../state/lifecycle-records.js';
import type { ActionContext } from './action-context.js';
import { applyLock, prepareLock } from './follow-lock.js';
import { recordStep } from './record-step.js';

export function requestReset(ctx: Pick<ActionContext, 'config' | 'db' | 'now'>, name: string): LifecycleRecord {
  findPackage(ctx.config, name);
  return recordStep(ctx, name, (record) => afterResetRequested(record, ctx.now()), 'reset-requested');
}

export async function resetPackage(ctx: ActionContext, name: string): Promise<void> {
  const record = getLifecycle(ctx.db, name);
  if (record?.state === 'building' || record?.activeBuild)
    throw new StateError('STATE', `${name} is being built; reset it when the build has ended`);
  const lockStep = record ? await prepareLock(ctx, record, null) : null;
  recordStep(
    ctx,
    name,
    (r) =>
      afterReset(
        r,
        'started over (nix-pgo reset): the profiling variant of the current derivation comes next',
        ctx.now(),
      ),
    'reset',
  );
  await ctx.collector?.forget(name);
  if (lockStep) applyLock(ctx, name, lockStep);
}
