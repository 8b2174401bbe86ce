/**
 * Carries out the actions the planner decided and records each step in the
 * lifecycle table, before and after the slow part, so a crash leaves a state
 * the next start can finish (a package in `building` is recovered, never
 * switched twice). What a record becomes is decided in src/lifecycle.
 */
import { join } from 'node:path';
import { activeSetWith } from '../activate/active-set.js';
import { switchProfile } from '../activate/switch-profile.js';
import { findPackage } from '../config/find-package.js';
import type { TickAction } from '../lifecycle/plan-tick.js';
import {
  afterActionFailed,
  afterBuildInterrupted,
  afterBuildStarted,
  afterDataArrived,
  afterOptimizedBuilt,
  afterOptimizedFailed,
  afterProfilingBuildBegun,
  afterProfilingBuilt,
  afterProfilingFailed,
  afterReadyNotified,
} from '../lifecycle/next-record.js';
import { getLifecycle, listLifecycles, newLifecycleRecord, saveLifecycle, type BuildRecord, type Variant } from '../state/lifecycle-records.js';
import { lockProfile, storeProfile } from '../store/store-profile.js';
import { buildLogFile, planBuild } from '../variants/plan-build.js';
import { runBuild, type BuildOutcome } from '../variants/run-build.js';
import type { ActionContext } from './action-context.js';

export interface ApplyReport {
  actions: TickAction[];
  errors: { action: TickAction; error: string }[];
}

/** Applies every action in order; one that throws is logged and its package left where the next tick can go on. */
export async function applyActions(ctx: ActionContext, actions: readonly TickAction[]): Promise<ApplyReport> {
  const report: ApplyReport = { actions: [], errors: [] };
  for (const action of actions) {
    report.actions.push(action);
    try {
      await applyAction(ctx, action);
    } catch (error) {
      const message = (error as Error).message;
      report.errors.push({ action, error: message });
      ctx.logger.log('error', 'action-failed', { package: action.name, action: action.type, error: message });
      const record = getLifecycle(ctx.db, action.name);
      const next = record && afterActionFailed(record, message, findPackage(ctx.config, action.name).policy.retry, ctx.now());
      if (next) saveLifecycle(ctx.db, next, 'build-failed', { error: message });
    }
  }
  return report;
}

export async function applyAction(ctx: ActionContext, action: TickAction): Promise<void> {
  const now = ctx.now();
  switch (action.type) {
    case 'build-profiling':
      return buildProfiling(ctx, action.name);
    case 'data-arrived':
      saveLifecycle(ctx.db, afterDataArrived(recordOf(ctx, action.name), action.generation, action.readiness, now), 'data-arrived', { generation: action.generation });
      return;
    case 'build-optimized':
      return buildOptimized(ctx, action);
    case 'notify-ready':
      saveLifecycle(ctx.db, afterReadyNotified(recordOf(ctx, action.name), action.readiness, now), 'notify-ready');
      // Saved first: the record in `ready` is what keeps the planner from telling twice.
      await ctx.notifier.notify({ type: 'ready', package: action.name, reason: action.readiness.reason });
      return;
    case 'recover-build':
      saveLifecycle(ctx.db, afterBuildInterrupted(recordOf(ctx, action.name), now), 'build-interrupted');
      return;
  }
}

function recordOf(ctx: ActionContext, name: string) {
  return getLifecycle(ctx.db, name) ?? newLifecycleRecord(name, ctx.now());
}

function buildRecord(variant: Variant, startedAt: Date, endedAt: Date, outcome: BuildOutcome): BuildRecord {
  return {
    variant,
    ok: outcome.ok,
    startedAt: startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    storePath: outcome.ok ? outcome.storePath : null,
    logFile: outcome.logFile,
    error: outcome.ok ? null : outcome.error,
    logTail: outcome.ok ? null : outcome.logTail,
  };
}

async function buildProfiling(ctx: ActionContext, name: string): Promise<void> {
  const pkg = findPackage(ctx.config, name);
  const record = recordOf(ctx, name);
  const started = ctx.now();
  const plan = planBuild(pkg, 'profile', { logDir: ctx.layout.logDir, timeoutMs: pkg.policy.buildTimeoutMinutes * 60_000, now: started });
  // Recorded before the slow part, so status shows the build while it runs.
  saveLifecycle(ctx.db, afterProfilingBuildBegun(record, { variant: 'profile', startedAt: started.toISOString(), logFile: plan.logFile }, started), 'build-started', { variant: 'profile' });
  ctx.logger.log('info', 'build-started', { package: name, variant: 'profile', log: plan.logFile });
  const outcome = await runBuild(plan);
  const ended = ctx.now();
  const build = buildRecord('profile', started, ended, outcome);
  if (!outcome.ok) {
    const next = afterProfilingFailed(record, { build, error: outcome.error }, pkg.policy.retry, ended);
    saveLifecycle(ctx.db, next, 'build-failed', { variant: 'profile' });
    await ctx.notifier.notify({ type: 'build-failed', package: name, error: outcome.error, logTail: outcome.logTail, logFile: outcome.logFile, retryAt: next.nextRetryAt! });
    return;
  }
  ctx.collector?.register(name, join(outcome.storePath, 'nix-support', 'pgo.json'));
  const generation = await switchProfile(ctx.config.nixProfile, activeSetWith(listLifecycles(ctx.db), name, outcome.storePath));
  saveLifecycle(ctx.db, afterProfilingBuilt(record, { storePath: outcome.storePath, generation, build }, ended), 'switched', { variant: 'profile', storePath: outcome.storePath, generation });
  await ctx.notifier.notify({ type: 'switched', package: name, variant: 'profile', storePath: outcome.storePath, generation });
}

async function buildOptimized(ctx: ActionContext, action: Extract<TickAction, { type: 'build-optimized' }>): Promise<void> {
  const pkg = findPackage(ctx.config, action.name);
  const started = ctx.now();
  const logFile = buildLogFile(ctx.layout.logDir, action.name, 'optimized', started);
  // Saved before the slow part: a restart finds `building` and recovers it.
  const building = afterBuildStarted(recordOf(ctx, action.name), action.generation, { variant: 'optimized', startedAt: started.toISOString(), logFile }, started);
  saveLifecycle(ctx.db, building, 'build-started', { generation: action.generation });
  ctx.logger.log('info', 'build-started', { package: action.name, variant: 'optimized', generation: action.generation, log: logFile });

  const locked = await storeProfile({
    name: action.name,
    mergedPath: action.mergedPath,
    generation: action.generation,
    gcRootDir: ctx.layout.gcRootDir,
    workDir: ctx.layout.workDir,
    now: started,
  });
  // The build record times nix-build alone; storing the profile is the daemon's own work.
  const buildStarted = ctx.now();
  const outcome = await runBuild(
    planBuild(pkg, 'optimized', { profile: locked, logDir: ctx.layout.logDir, timeoutMs: pkg.policy.buildTimeoutMinutes * 60_000, now: started }),
  );
  const ended = ctx.now();
  const build = buildRecord('optimized', buildStarted, ended, outcome);
  if (!outcome.ok) {
    const next = afterOptimizedFailed(building, build, pkg.policy.retry, ended);
    saveLifecycle(ctx.db, next, 'build-failed', { variant: 'optimized', error: outcome.error });
    await ctx.notifier.notify({ type: 'build-failed', package: action.name, error: outcome.error, logTail: outcome.logTail, logFile: outcome.logFile, retryAt: next.nextRetryAt! });
    return;
  }
  const generation = await switchProfile(ctx.config.nixProfile, activeSetWith(listLifecycles(ctx.db), action.name, outcome.storePath));
  // The lock names the profile of what is active, so it changes only after the switch.
  lockProfile(ctx.layout.lockFile, action.name, locked);
  saveLifecycle(
    ctx.db,
    afterOptimizedBuilt(building, { storePath: outcome.storePath, generation, mergeGeneration: action.generation, profileStorePath: locked.storePath, build }, ended),
    'switched',
    { variant: 'optimized', storePath: outcome.storePath, generation },
  );
  await ctx.notifier.notify({ type: 'switched', package: action.name, variant: 'optimized', storePath: outcome.storePath, generation });
}
