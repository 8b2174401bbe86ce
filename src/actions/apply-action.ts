/**
 * Carries out the actions the planner decided, each step recorded in the
 * lifecycle table (record-step.ts) from the record as stored, before and
 * after the slow part, so a crash leaves a state the next start can finish (a
 * package in `building` is recovered, never switched twice). What a record
 * becomes is decided in src/lifecycle.
 */
import { findPackage } from '../config/find-package.js';
import type { TickAction } from '../lifecycle/plan-tick.js';
import {
  afterActionFailed,
  afterBuildInterrupted,
  afterDataArrived,
  afterReadyNotified,
} from '../lifecycle/next-record.js';
import type { ActionContext } from './action-context.js';
import { buildOptimized } from './build-optimized.js';
import { buildProfiling } from './build-profiling.js';
import { carryOver } from './carry-over.js';
import { checkUpgrade } from './check-upgrade.js';
import { leaveBolt } from './leave-bolt.js';
import { measureProfileMatch } from './measure-match.js';
import { recordStep } from './record-step.js';
import { resetPackage } from './reset-package.js';
import { endRefresh, startRefresh } from './start-refresh.js';

export interface ApplyReport {
  actions: TickAction[];
  errors: { action: TickAction; error: string }[];
}

/** Applies every action in order; one that throws is logged and its package left where the next tick can go on. */
export async function applyActions(ctx: ActionContext, actions: readonly TickAction[]): Promise<ApplyReport> {
  const report: ApplyReport = { actions: [], errors: [] };
  for (const action of actions) {
    // Stopping: what is left waits for the next start.
    if (ctx.signal?.aborted) break;
    report.actions.push(action);
    try {
      await applyAction(ctx, action);
    } catch (error) {
      const message = (error as Error).message;
      report.errors.push({ action, error: message });
      ctx.logger.log('error', 'action-failed', { package: action.name, action: action.type, error: message });
      const retry = findPackage(ctx.config, action.name).policy.retry;
      recordStep(ctx, action.name, (record) => afterActionFailed(record, message, retry, ctx.now()), 'build-failed', {
        error: message,
      });
    }
  }
  return report;
}

export async function applyAction(ctx: ActionContext, action: TickAction): Promise<void> {
  const now = ctx.now();
  switch (action.type) {
    case 'build-profiling':
      return buildProfiling(ctx, action.name, action.stage);
    case 'data-arrived':
      recordStep(
        ctx,
        action.name,
        (record) => afterDataArrived(record, action.stage, action.generation, action.readiness, now),
        'data-arrived',
        { stage: action.stage, generation: action.generation },
      );
      return;
    case 'build-optimized':
      return buildOptimized(ctx, action);
    case 'notify-ready':
      recordStep(
        ctx,
        action.name,
        (record) => afterReadyNotified(record, action.stage, action.readiness, now),
        'notify-ready',
        { stage: action.stage },
      );
      // Saved first: the record in `ready` (or `bolt-ready`) is what keeps the planner from telling twice.
      await ctx.notifier.notify({
        type: 'ready',
        package: action.name,
        reason: action.stage === 'bolt' ? `BOLT data: ${action.readiness.reason}` : action.readiness.reason,
      });
      return;
    case 'leave-bolt':
      return leaveBolt(ctx, action);
    case 'recover-build':
      recordStep(ctx, action.name, (record) => afterBuildInterrupted(record, now), 'build-interrupted');
      return;
    case 'check-upgrade':
      await checkUpgrade(ctx, action.name);
      return;
    case 'carry-over':
      return carryOver(ctx, action);
    case 'measure-match':
      return measureProfileMatch(ctx, action.name);
    case 'start-refresh':
      return startRefresh(ctx, action.name);
    case 'end-refresh':
      return endRefresh(ctx, action.name);
    case 'reset':
      return resetPackage(ctx, action.name);
  }
}
