/**
 * Carries out the actions planTick decided, recording every step in the slot
 * table before and after the slow part, so a crash leaves a state the next
 * start can finish (a slot in `building` is recovered, never switched twice).
 */
import { join } from 'node:path';
import { planBuild } from '../variants/plan-build.js';
import { runBuild, type BuildOutcome } from '../variants/run-build.js';
import { switchProfile } from '../activate/switch-profile.js';
import { recordFailure } from '../lifecycle/retry-backoff.js';
import { transitionSlot, type SlotEvent } from '../lifecycle/transition.js';
import { lockProfile, storeProfile } from '../store/store-profile.js';
import type { TickAction } from '../lifecycle/plan-tick.js';
import { newSlot, type BuildRecord, type SlotRow } from '../state/lifecycle-records.js';
import { packageNamed, statePaths, type DaemonContext } from './action-context.js';

function step(slot: SlotRow, event: SlotEvent, now: Date, fields: Partial<SlotRow> = {}): SlotRow {
  const next = transitionSlot({ state: slot.state, beforeBuild: slot.beforeBuild }, event);
  return { ...slot, ...fields, state: next.state, beforeBuild: next.beforeBuild, updatedAt: now.toISOString() };
}

function buildRecord(variant: BuildRecord['variant'], startedAt: Date, endedAt: Date, outcome: BuildOutcome): BuildRecord {
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

/** Store paths every slot has active, with one slot's replaced: the next profile generation. */
export function activeSet(slots: readonly SlotRow[], name: string, storePath: string): Record<string, string> {
  const active: Record<string, string> = {};
  for (const s of slots) if (s.activePath) active[s.name] = s.activePath;
  active[name] = storePath;
  return active;
}

export async function applyAction(ctx: DaemonContext, action: TickAction): Promise<void> {
  switch (action.type) {
    case 'build-profiling':
      return buildProfiling(ctx, action.name);
    case 'data-arrived':
      return recordData(ctx, action);
    case 'build-optimized':
      return buildOptimized(ctx, action);
    case 'notify-ready': {
      const slot = ctx.slots.get(action.name)!;
      ctx.slots.save({ ...slot, reason: `${action.readiness.reason}; run \`nix-pgo build ${action.name}\` to build and switch`, updatedAt: ctx.now().toISOString() }, 'notify-ready');
      ctx.logger.log('info', 'ready', { package: action.name, reason: action.readiness.reason });
      return;
    }
    case 'recover-build': {
      const slot = ctx.slots.get(action.name)!;
      ctx.slots.save(
        step(slot, { type: 'build-failed' }, ctx.now(), { reason: 'the build was interrupted by a daemon restart; building again' }),
        'build-interrupted',
      );
      return;
    }
  }
}

async function buildProfiling(ctx: DaemonContext, name: string): Promise<void> {
  const pkg = packageNamed(ctx.config, name);
  const paths = statePaths(ctx.config);
  const slot = ctx.slots.get(name) ?? newSlot(name, ctx.now());
  const started = ctx.now();
  ctx.logger.log('info', 'build-started', { package: name, variant: 'profile' });
  const outcome = await runBuild(
    planBuild(pkg, 'profile', { logDir: paths.logDir, timeoutMs: pkg.policy.buildTimeoutMinutes * 60_000, now: started }),
  );
  const ended = ctx.now();
  const record = buildRecord('profile', started, ended, outcome);
  if (!outcome.ok) {
    const failure = recordFailure(slot.failures, pkg.policy.retry, ended);
    ctx.slots.save(
      { ...slot, ...failure, lastBuild: record, reason: `the profiling build failed: ${outcome.error}`, updatedAt: ended.toISOString() },
      'build-failed',
      { variant: 'profile' },
    );
    await ctx.notifier.notify({ type: 'build-failed', package: name, error: outcome.error, logTail: outcome.logTail, logFile: outcome.logFile, retryAt: failure.nextRetryAt });
    return;
  }
  await ctx.engine.register(name, join(outcome.storePath, 'nix-support', 'pgo.json'));
  const generation = await switchProfile(ctx.config.nixProfile, activeSet(ctx.slots.all(), name, outcome.storePath));
  const fields: Partial<SlotRow> = {
    profilingPath: outcome.storePath,
    activeVariant: 'profile',
    activePath: outcome.storePath,
    generation,
    failures: 0,
    nextRetryAt: null,
    lastBuild: record,
    reason: 'profiling: waiting for the instrumented program to run',
  };
  const next = slot.state === 'vanilla' ? step(slot, { type: 'enable' }, ended, fields) : { ...slot, ...fields, updatedAt: ended.toISOString() };
  ctx.slots.save(next, 'switched', { variant: 'profile', storePath: outcome.storePath, generation });
  await ctx.notifier.notify({ type: 'switched', package: name, variant: 'profile', storePath: outcome.storePath, generation });
}

async function recordData(ctx: DaemonContext, action: Extract<TickAction, { type: 'data-arrived' }>): Promise<void> {
  const slot = ctx.slots.get(action.name)!;
  const now = ctx.now();
  let next = step(slot, { type: 'data-arrived' }, now, { seenGeneration: action.generation, reason: action.readiness.reason });
  if (action.readiness.ready && (next.state === 'collecting' || next.state === 'optimized-stale')) {
    next = step(next, { type: 'policy-met' }, now);
  }
  ctx.slots.save(next, 'data-arrived', { generation: action.generation });
}

async function buildOptimized(ctx: DaemonContext, action: Extract<TickAction, { type: 'build-optimized' }>): Promise<void> {
  const pkg = packageNamed(ctx.config, action.name);
  const paths = statePaths(ctx.config);
  const started = ctx.now();
  // Recorded before the slow part: a restart finds `building` and recovers it.
  const building = step(ctx.slots.get(action.name)!, { type: 'build-started' }, started, {
    buildRequested: false,
    held: false,
    reason: `building the optimized variant with merge ${action.generation}`,
  });
  ctx.slots.save(building, 'build-started', { generation: action.generation });
  ctx.logger.log('info', 'build-started', { package: action.name, variant: 'optimized', generation: action.generation });

  const locked = await storeProfile({
    name: action.name,
    mergedPath: action.mergedPath,
    generation: action.generation,
    gcRootDir: paths.gcRootDir,
    workDir: paths.workDir,
    now: started,
  });
  // The build record times nix-build alone; storing the profile is the daemon's own work.
  const buildStarted = ctx.now();
  const outcome = await runBuild(
    planBuild(pkg, 'optimized', {
      profile: locked,
      logDir: paths.logDir,
      timeoutMs: pkg.policy.buildTimeoutMinutes * 60_000,
      now: started,
    }),
  );
  const ended = ctx.now();
  const record = buildRecord('optimized', buildStarted, ended, outcome);
  if (!outcome.ok) {
    const failure = recordFailure(building.failures, pkg.policy.retry, ended);
    ctx.slots.save(
      step(building, { type: 'build-failed' }, ended, {
        ...failure,
        lastBuild: record,
        reason: `the optimized build failed (${failure.failures}×); the active variant stays; next try ${failure.nextRetryAt}`,
      }),
      'build-failed',
      { variant: 'optimized', error: outcome.error },
    );
    await ctx.notifier.notify({ type: 'build-failed', package: action.name, error: outcome.error, logTail: outcome.logTail, logFile: outcome.logFile, retryAt: failure.nextRetryAt });
    return;
  }
  const generation = await switchProfile(ctx.config.nixProfile, activeSet(ctx.slots.all(), action.name, outcome.storePath));
  // The lock names the profile of what is active, so it changes only after the switch.
  lockProfile(paths.lockFile, action.name, locked);
  ctx.slots.save(
    step(building, { type: 'build-succeeded' }, ended, {
      optimizedPath: outcome.storePath,
      activeVariant: 'optimized',
      activePath: outcome.storePath,
      generation,
      failures: 0,
      nextRetryAt: null,
      profileGeneration: action.generation,
      profileStorePath: locked.storePath,
      lastBuild: record,
      reason: `optimized with merge ${action.generation} (${locked.storePath})`,
    }),
    'switched',
    { variant: 'optimized', storePath: outcome.storePath, generation },
  );
  await ctx.notifier.notify({ type: 'switched', package: action.name, variant: 'optimized', storePath: outcome.storePath, generation });
}
