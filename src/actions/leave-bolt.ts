/** BOLT was turned off in the config: the PGO-optimized variant goes back in, and the package stays there. */
import type { TickAction } from '../lifecycle/plan-tick.js';
import { afterUserSwitch } from '../lifecycle/next-record.js';
import type { ActionContext } from './action-context.js';
import { applyLock, prepareLock } from './follow-lock.js';
import { recordStep } from './record-step.js';
import { switchIn } from './switch-in.js';

export async function leaveBolt(
  ctx: ActionContext,
  action: Extract<TickAction, { type: 'leave-bolt' }>,
): Promise<void> {
  const { name, record } = action;
  const storePath = record.optimizedPath!;
  // Its BOLT profile leaves the lock, so the next evaluation from it builds the PGO-optimized variant too.
  const lockStep = await prepareLock(ctx, record, 'optimized');
  const generation = await switchIn(ctx, name, storePath);
  const reason = 'BOLT is off for this package in the config: back to the PGO-optimized variant';
  recordStep(
    ctx,
    name,
    (current) =>
      afterUserSwitch(current, { variant: 'optimized', storePath, generation, held: false, reason }, ctx.now()),
    'switched',
    { variant: 'optimized', storePath, generation },
  );
  applyLock(ctx, name, lockStep);
  await ctx.notifier.notify({ type: 'switched', package: name, variant: 'optimized', storePath, generation });
}
