/**
 * Stores a stage's merged profile, builds the stage's optimized variant with
 * it, switches to it and locks the profile. The record says `building` before
 * the slow part, so a restart finds it and recovers it (never switching twice).
 */
import { findPackage } from '../config/find-package.js';
import type { TickAction } from '../lifecycle/plan-tick.js';
import { afterBuildStarted, afterOptimizedBuilt, afterOptimizedFailed, recordBuild } from '../lifecycle/next-record.js';
import type { Variant } from '../model/variants.js';
import { lockProfile, storeProfile } from '../store/store-profile.js';
import { buildLogFile, planBuild } from '../variants/plan-build.js';
import { runBuild } from '../variants/run-build.js';
import type { ActionContext } from './action-context.js';
import { lockedPgoProfile } from './locked-pgo-profile.js';
import { recordStep } from './record-step.js';
import { switchIn } from './switch-in.js';

export async function buildOptimized(
  ctx: ActionContext,
  action: Extract<TickAction, { type: 'build-optimized' }>,
): Promise<void> {
  const pkg = findPackage(ctx.config, action.name);
  const bolt = action.stage === 'bolt';
  const variant: Variant = bolt ? 'bolt-optimized' : 'optimized';
  const started = ctx.now();
  const logFile = buildLogFile(ctx.layout.logDir, action.name, variant, started);
  recordStep(
    ctx,
    action.name,
    (record) =>
      afterBuildStarted(record, action.generation, { variant, startedAt: started.toISOString(), logFile }, started),
    'build-started',
    { variant, generation: action.generation },
  );
  ctx.logger.log('info', 'build-started', {
    package: action.name,
    variant,
    generation: action.generation,
    log: logFile,
  });
  const pgoProfile = bolt ? lockedPgoProfile(ctx, action.name) : null;

  const locked = await storeProfile({
    name: action.name,
    mergedPath: action.mergedPath,
    generation: action.generation,
    bolt,
    gcRootDir: ctx.layout.gcRootDir,
    workDir: ctx.layout.workDir,
    now: started,
  });
  // The build record times nix-build alone; storing the profile is the daemon's own work.
  const buildStarted = ctx.now();
  const options = { logDir: ctx.layout.logDir, timeoutMs: pkg.policy.buildTimeoutMinutes * 60_000, now: started };
  const outcome = await runBuild(
    planBuild(
      pkg,
      variant,
      bolt ? { ...options, profile: pgoProfile!, boltProfile: locked } : { ...options, profile: locked },
    ),
  );
  const ended = ctx.now();
  const build = recordBuild(variant, buildStarted, ended, outcome);
  if (!outcome.ok) {
    const failed = recordStep(
      ctx,
      action.name,
      (record) => afterOptimizedFailed(record, build, pkg.policy.retry, ended),
      'build-failed',
      { variant, error: outcome.error },
    );
    await ctx.notifier.notify({
      type: 'build-failed',
      package: action.name,
      error: outcome.error,
      logTail: outcome.logTail,
      logFile: outcome.logFile,
      retryAt: failed.nextRetryAt!,
    });
    return;
  }
  const generation = await switchIn(ctx, action.name, outcome.storePath);
  // The lock names the profile of what is active, so it changes only after the switch.
  lockProfile(ctx.layout.lockFile, action.name, locked, bolt ? 'boltProfiles' : 'packages');
  const built = {
    storePath: outcome.storePath,
    generation,
    mergeGeneration: action.generation,
    profileStorePath: locked.storePath,
    build,
  };
  recordStep(ctx, action.name, (record) => afterOptimizedBuilt(record, built, ended), 'switched', {
    variant,
    storePath: outcome.storePath,
    generation,
  });
  await ctx.notifier.notify({
    type: 'switched',
    package: action.name,
    variant,
    storePath: outcome.storePath,
    generation,
  });
}
