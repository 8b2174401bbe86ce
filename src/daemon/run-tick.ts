/**
 * One tick of the daemon: harvest and merge, plan, apply. `nix-pgo daemon`
 * loops over it; other commands run it once. An action that throws is logged
 * and its slot put back into a state the next tick can continue from.
 */
import { planTick, type TickAction } from '../lifecycle/plan-tick.js';
import type { SlotRow } from '../state/lifecycle-records.js';
import { transitionSlot } from '../lifecycle/transition.js';
import { applyAction } from '../actions/apply-action.js';
import { packageNamed, type DaemonContext } from '../actions/action-context.js';
import type { RetryPolicy } from '../config/config-types.js';
import { recordFailure } from '../lifecycle/retry-backoff.js';

export interface TickReport {
  actions: TickAction[];
  errors: { action: TickAction; error: string }[];
}

/** `harvest: false` plans from the metrics as they are (the engine harvests on its own in the daemon). */
export async function runTick(ctx: DaemonContext, options: { starting: boolean; harvest: boolean }): Promise<TickReport> {
  // Profiling builds first: the engine can only attribute profiles of registered builds.
  const slotsBefore = new Map(ctx.slots.all().map((s) => [s.name, s] as const));
  const first = planTick({ packages: ctx.config.packages, slots: slotsBefore, metrics: new Map(), now: ctx.now(), starting: options.starting });
  const report: TickReport = { actions: [], errors: [] };
  await applyAll(ctx, first, report);

  if (options.harvest) await ctx.engine.runOnce();
  const metrics = await ctx.engine.metrics();
  const slots = new Map(ctx.slots.all().map((s) => [s.name, s] as const));
  const rest = planTick({ packages: ctx.config.packages, slots, metrics, now: ctx.now(), starting: false }).filter(
    (a) => a.type !== 'build-profiling' && a.type !== 'recover-build',
  );
  await applyAll(ctx, rest, report);
  return report;
}

async function applyAll(ctx: DaemonContext, actions: TickAction[], report: TickReport): Promise<void> {
  for (const action of actions) {
    report.actions.push(action);
    try {
      await applyAction(ctx, action);
    } catch (error) {
      const message = (error as Error).message;
      report.errors.push({ action, error: message });
      ctx.logger.log('error', 'action-failed', { package: action.name, action: action.type, error: message });
      const slot = ctx.slots.get(action.name);
      if (slot?.state === 'building') {
        const retry = packageNamed(ctx.config, action.name).policy.retry;
        ctx.slots.save(failBuilding(slot, message, retry, ctx.now()), 'build-failed', { error: message });
      }
    }
  }
}

function failBuilding(slot: SlotRow, message: string, retry: RetryPolicy, now: Date): SlotRow {
  const next = transitionSlot({ state: slot.state, beforeBuild: slot.beforeBuild }, { type: 'build-failed' });
  return {
    ...slot,
    state: next.state,
    beforeBuild: next.beforeBuild,
    ...recordFailure(slot.failures, retry, now),
    reason: `the optimized build could not run: ${message}`,
    updatedAt: now.toISOString(),
  };
}
