/**
 * Carries out the actions the planner decided and records each step in the
 * lifecycle table, before and after the slow part, so a crash leaves a state
 * the next start can finish (a package in `building` is recovered, never
 * switched twice). What a record becomes is decided in src/lifecycle.
 */
import { readFileSync } from 'node:fs';
import { activeSetWith } from '../activate/active-set.js';
import { switchProfile } from '../activate/switch-profile.js';
import { findPackage } from '../config/find-package.js';
import type { TickAction } from '../lifecycle/plan-tick.js';
import {
  afterActionFailed,
  afterBoltProfilingBuilt,
  afterBuildInterrupted,
  afterBuildStarted,
  afterDataArrived,
  afterOptimizedBuilt,
  afterOptimizedFailed,
  afterProfilingBuildBegun,
  afterProfilingBuilt,
  afterProfilingFailed,
  afterReadyNotified,
  afterUserSwitch,
} from '../lifecycle/next-record.js';
import { NixPgoError } from '../errors/errors.js';
import { manifestPathOf, parseBoltOutcomes, parseManifest } from '../formats/manifest.js';
import { ensureBoltDir } from '../spool/bolt-dir.js';
import {
  boltDataName,
  getLifecycle,
  listLifecycles,
  newLifecycleRecord,
  saveLifecycle,
  type BuildRecord,
  type Stage,
  type Variant,
} from '../state/lifecycle-records.js';
import type { LockedProfile } from '../store/lock-file.js';
import { lockProfile, readLockedProfile, storeProfile } from '../store/store-profile.js';
import { buildLogFile, planBuild } from '../variants/plan-build.js';
import { runBuild, type BuildOutcome } from '../variants/run-build.js';
import type { ActionContext } from './action-context.js';
import { applyLock, prepareLock } from './follow-lock.js';

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
      const next =
        record && afterActionFailed(record, message, findPackage(ctx.config, action.name).policy.retry, ctx.now());
      if (next) saveLifecycle(ctx.db, next, 'build-failed', { error: message });
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
      saveLifecycle(
        ctx.db,
        afterDataArrived(recordOf(ctx, action.name), action.stage, action.generation, action.readiness, now),
        'data-arrived',
        {
          stage: action.stage,
          generation: action.generation,
        },
      );
      return;
    case 'build-optimized':
      return buildOptimized(ctx, action);
    case 'notify-ready':
      saveLifecycle(
        ctx.db,
        afterReadyNotified(recordOf(ctx, action.name), action.stage, action.readiness, now),
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
      return leaveBolt(ctx, action.name);
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

/** The PGO profile the PGO-optimized variant was built with: BOLT's variants are built on exactly that build. */
function lockedPgoProfile(ctx: ActionContext, name: string): LockedProfile {
  const locked = readLockedProfile(ctx.layout.lockFile, name);
  if (!locked) {
    throw new NixPgoError(
      'STATE',
      `${name} has no PGO profile in ${ctx.layout.lockFile}, and BOLT works on the PGO-optimized variant`,
      {
        hints: [`build the optimized variant again: nix-pgo switch ${name} profile, then nix-pgo build ${name}`],
      },
    );
  }
  return locked;
}

/**
 * Builds the stage's profiling variant and switches to it. For BOLT, the variant is only switched in when it
 * instrumented some file and its programs can write where it says (they fail otherwise).
 */
async function buildProfiling(ctx: ActionContext, name: string, stage: Stage): Promise<void> {
  const pkg = findPackage(ctx.config, name);
  const record = recordOf(ctx, name);
  const variant: Variant = stage === 'pgo' ? 'profile' : 'bolt-profile';
  const started = ctx.now();
  const logFile = buildLogFile(ctx.layout.logDir, name, variant, started);
  // Recorded before anything can fail, so status shows the build while it runs and a failure counts.
  saveLifecycle(
    ctx.db,
    afterProfilingBuildBegun(record, { variant, startedAt: started.toISOString(), logFile }, started),
    'build-started',
    { variant },
  );
  ctx.logger.log('info', 'build-started', { package: name, variant, log: logFile });
  const plan = planBuild(pkg, variant, {
    profile: stage === 'bolt' ? lockedPgoProfile(ctx, name) : undefined,
    logDir: ctx.layout.logDir,
    timeoutMs: pkg.policy.buildTimeoutMinutes * 60_000,
    now: started,
  });
  let outcome = await runBuild(plan);
  const manifestPath = outcome.ok ? manifestPathOf(outcome.storePath) : null;
  if (outcome.ok && stage === 'bolt') {
    const problem = checkBoltVariant(manifestPath!);
    if (problem)
      outcome = { ok: false, error: `${plan.what} cannot be used: ${problem}`, logTail: '', logFile: outcome.logFile };
  }
  const ended = ctx.now();
  const build = buildRecord(variant, started, ended, outcome);
  if (!outcome.ok) {
    const next = afterProfilingFailed(record, { build, error: outcome.error }, pkg.policy.retry, ended);
    saveLifecycle(ctx.db, next, 'build-failed', { variant });
    await ctx.notifier.notify({
      type: 'build-failed',
      package: name,
      error: outcome.error,
      logTail: outcome.logTail,
      logFile: outcome.logFile,
      retryAt: next.nextRetryAt!,
    });
    return;
  }
  ctx.collector?.register(stage === 'pgo' ? name : boltDataName(name), manifestPath!);
  const generation = await switchProfile(
    ctx.config.nixProfile,
    activeSetWith(listLifecycles(ctx.db), name, outcome.storePath),
  );
  const built = { storePath: outcome.storePath, generation, build };
  saveLifecycle(
    ctx.db,
    stage === 'pgo' ? afterProfilingBuilt(record, built, ended) : afterBoltProfilingBuilt(record, built, ended),
    'switched',
    {
      variant,
      storePath: outcome.storePath,
      generation,
    },
  );
  await ctx.notifier.notify({ type: 'switched', package: name, variant, storePath: outcome.storePath, generation });
}

/** Why a BOLT-instrumented build must not become active, or null: it instrumented nothing, or its directory cannot be written. */
function checkBoltVariant(manifestPath: string): string | null {
  const manifest = parseManifest(readFileSync(manifestPath, 'utf8'), manifestPath);
  if (manifest.binaries.length === 0) {
    const reasons = parseBoltOutcomes(readFileSync(manifestPath, 'utf8')).map(
      (b) => `${b.path}: ${b.reason ?? 'no reason given'}`,
    );
    return `BOLT instrumented none of its files${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''}`;
  }
  return ensureBoltDir(manifest.boltDir!, process.getuid?.() ?? 0);
}

/** Stores the stage's merged profile, builds the stage's optimized variant with it, switches, and locks the profile. */
async function buildOptimized(
  ctx: ActionContext,
  action: Extract<TickAction, { type: 'build-optimized' }>,
): Promise<void> {
  const pkg = findPackage(ctx.config, action.name);
  const bolt = action.stage === 'bolt';
  const variant: Variant = bolt ? 'bolt-optimized' : 'optimized';
  const started = ctx.now();
  const logFile = buildLogFile(ctx.layout.logDir, action.name, variant, started);
  // Saved before the slow part: a restart finds `building` and recovers it.
  const building = afterBuildStarted(
    recordOf(ctx, action.name),
    action.generation,
    { variant, startedAt: started.toISOString(), logFile },
    started,
  );
  saveLifecycle(ctx.db, building, 'build-started', { variant, generation: action.generation });
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
  const build = buildRecord(variant, buildStarted, ended, outcome);
  if (!outcome.ok) {
    const next = afterOptimizedFailed(building, build, pkg.policy.retry, ended);
    saveLifecycle(ctx.db, next, 'build-failed', { variant, error: outcome.error });
    await ctx.notifier.notify({
      type: 'build-failed',
      package: action.name,
      error: outcome.error,
      logTail: outcome.logTail,
      logFile: outcome.logFile,
      retryAt: next.nextRetryAt!,
    });
    return;
  }
  const generation = await switchProfile(
    ctx.config.nixProfile,
    activeSetWith(listLifecycles(ctx.db), action.name, outcome.storePath),
  );
  // The lock names the profile of what is active, so it changes only after the switch.
  lockProfile(ctx.layout.lockFile, action.name, locked, bolt ? 'boltProfiles' : 'packages');
  saveLifecycle(
    ctx.db,
    afterOptimizedBuilt(
      building,
      {
        storePath: outcome.storePath,
        generation,
        mergeGeneration: action.generation,
        profileStorePath: locked.storePath,
        build,
      },
      ended,
    ),
    'switched',
    { variant, storePath: outcome.storePath, generation },
  );
  await ctx.notifier.notify({
    type: 'switched',
    package: action.name,
    variant,
    storePath: outcome.storePath,
    generation,
  });
}

/** BOLT was turned off: the PGO-optimized variant goes back in, and the package stays there. */
async function leaveBolt(ctx: ActionContext, name: string): Promise<void> {
  const record = recordOf(ctx, name);
  const storePath = record.optimizedPath!;
  // Its BOLT profile leaves the lock, so the next evaluation from it builds the PGO-optimized variant too.
  const lockStep = await prepareLock(ctx, record, 'optimized');
  const generation = await switchProfile(ctx.config.nixProfile, activeSetWith(listLifecycles(ctx.db), name, storePath));
  const reason = 'BOLT is off for this package in the config: back to the PGO-optimized variant';
  saveLifecycle(
    ctx.db,
    afterUserSwitch(record, { variant: 'optimized', storePath, generation, held: false, reason }, ctx.now()),
    'switched',
    { variant: 'optimized', storePath, generation },
  );
  applyLock(ctx, name, lockStep);
  await ctx.notifier.notify({ type: 'switched', package: name, variant: 'optimized', storePath, generation });
}
