/**
 * One tick: (optionally) collect, then plan once, then apply. `nix-pgo daemon`
 * loops over it with the collector running on its own; `nix-pgo build` runs
 * one tick that collects first.
 */
import { applyActions, type ApplyReport } from '../actions/apply-action.js';
import type { ActionContext } from '../actions/action-context.js';
import type { Collector } from '../collect/collector.js';
import { metricsFromRecords } from '../lifecycle/decide-readiness.js';
import { planTick, type TickPhase } from '../lifecycle/plan-tick.js';
import { listLifecycles } from '../state/lifecycle-records.js';
import { listPackages } from '../state/package-records.js';

export async function runTick(
  ctx: ActionContext,
  options: { phase: TickPhase; collector?: Collector; checkAll?: boolean },
): Promise<ApplyReport> {
  if (options.collector) await options.collector.runOnce();
  const actions = planTick({
    packages: ctx.config.packages,
    records: new Map(listLifecycles(ctx.db).map((r) => [r.name, r] as const)),
    metrics: metricsFromRecords(listPackages(ctx.db)),
    now: ctx.now(),
    phase: options.phase,
    checkAll: options.checkAll,
    followsFleet: ctx.config.fleet != null,
  });
  return applyActions(ctx, actions);
}
