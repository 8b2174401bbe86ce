/**
 * Stores a stage's merged profile, builds the stage's optimized variant with
 * it, switches to it and locks the profile. The record says `building` before
 * the slow part, so a restart finds it and recovers it (never switching twice).
 * At the end of a refresh window the stored profile is the fresh data combined
 * with the still-matching part of the profile carried over. A carry-over
 * (carry-over.ts) builds the same way with the profiles the record has.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { findPackage } from '../config/find-package.js';
import type { TickAction } from '../lifecycle/plan-tick.js';
import {
  afterBuildInterrupted,
  afterBuildStarted,
  afterOptimizedBuilt,
  afterOptimizedFailed,
  recordBuild,
} from '../lifecycle/next-record.js';
import { combineWithCarried } from '../merge/carry-profile.js';
import { generationName, packageDirName } from '../merge/plan-merge.js';
import { profileFormat } from '../merge/profile-formats.js';
import type { BuildOutcome, LifecycleRecord } from '../model/lifecycle-record.js';
import type { Variant } from '../model/variants.js';
import { getLifecycle } from '../state/lifecycle-records.js';
import type { LockedProfile } from '../store/lock-file.js';
import type { SubstituteFrom } from '../tools/nix-build.js';
import { lockProfile, storeProfile } from '../store/store-profile.js';
import { buildLogFile, planBuild } from '../variants/plan-build.js';
import { runBuild } from '../variants/run-build.js';
import type { ActionContext } from './action-context.js';
import { lockedPgoProfile } from './locked-pgo-profile.js';
import { profilingOutputs, readProfilingManifest } from './profiling-manifest.js';
import { recordStep } from './record-step.js';
import { switchIn } from './switch-in.js';

export async function buildOptimized(
  ctx: ActionContext,
  action: Extract<TickAction, { type: 'build-optimized' }>,
): Promise<void> {
  const bolt = action.stage === 'bolt';
  const variant: Variant = bolt ? 'bolt-optimized' : 'optimized';
  await buildAndSwitch(ctx, {
    name: action.name,
    variant,
    generation: action.generation,
    requested: action.requested,
    profiles: async (started) => {
      const mergedPath = action.carried
        ? await combineRefresh(ctx, action.name, action.mergedPath, action.carried.storePath, action.generation)
        : action.mergedPath;
      const locked = await storeProfile({
        name: action.name,
        mergedPath,
        generation: action.generation,
        bolt,
        gcRootDir: ctx.layout.gcRootDir,
        workDir: ctx.layout.workDir,
        now: started,
      });
      if (mergedPath !== action.mergedPath) rmSync(mergedPath, { recursive: true, force: true });
      // The lock says which build's runs the profile holds.
      const source = getLifecycle(ctx.db, action.name)?.origins?.[bolt ? 'bolt-profile' : 'profile'];
      const stored: LockedProfile = source ? { ...locked, source } : locked;
      return bolt ? { pgo: lockedPgoProfile(ctx, action.name), bolt: stored, stored } : { pgo: stored, stored };
    },
  });
}

/** The profiles an optimized build takes, and the one it stored (locked once the build is active). */
export interface BuildProfiles {
  pgo: LockedProfile;
  bolt?: LockedProfile;
  /** Newly stored, to lock after the switch; null when the lock already names what the build uses. */
  stored: LockedProfile | null;
}

/**
 * Records `building`, gets the profiles (the slow part may start there), builds, and switches to the
 * build and records it, or records the failure (or the interruption) with the active variant kept.
 */
export async function buildAndSwitch(
  ctx: ActionContext,
  build: {
    name: string;
    variant: Variant;
    /** The merge generation of the profile, for the words of the record. */
    generation: number;
    requested: boolean;
    profiles: (started: Date) => Promise<BuildProfiles>;
    /** A binary cache the build may substitute from (a fleet's), instead of none. */
    substituteFrom?: SubstituteFrom;
  },
): Promise<BuildOutcome> {
  const { name, variant } = build;
  const pkg = findPackage(ctx.config, name);
  const bolt = variant === 'bolt-optimized';
  const started = ctx.now();
  const logFile = buildLogFile(ctx.layout.logDir, name, variant, started);
  const active = { variant, startedAt: started.toISOString(), logFile, requested: build.requested };
  recordStep(ctx, name, (record) => afterBuildStarted(record, build.generation, active, started), 'build-started', {
    variant,
    generation: build.generation,
  });
  ctx.logger.log('info', 'build-started', { package: name, variant, generation: build.generation, log: logFile });
  const profiles = await build.profiles(started);
  // The build record times nix-build alone; storing the profile is the daemon's own work.
  const buildStarted = ctx.now();
  const options = { logDir: ctx.layout.logDir, timeoutMs: pkg.policy.buildTimeoutMinutes * 60_000, now: started };
  const outcome = await runBuild(
    planBuild(
      pkg,
      variant,
      bolt ? { ...options, profile: profiles.pgo, boltProfile: profiles.bolt } : { ...options, profile: profiles.pgo },
    ),
    { signal: ctx.signal, substituteFrom: build.substituteFrom },
  );
  const ended = ctx.now();
  const record = recordBuild(variant, buildStarted, ended, outcome);
  if (!outcome.ok && outcome.interrupted) {
    recordStep(ctx, name, (current) => afterBuildInterrupted(current, ended), 'build-interrupted', { variant });
    ctx.logger.log('warn', 'build-interrupted', { package: name, variant, log: outcome.logFile });
    return outcome;
  }
  if (!outcome.ok) {
    const failed = recordStep(
      ctx,
      name,
      (current) => afterOptimizedFailed(current, record, pkg.policy.retry, ended),
      'build-failed',
      { variant, error: outcome.error },
    );
    await ctx.notifier.notify({
      type: 'build-failed',
      package: name,
      error: outcome.error,
      logTail: outcome.logTail,
      logFile: outcome.logFile,
      retryAt: failed.nextRetryAt!,
    });
    return outcome;
  }
  const generation = await switchIn(ctx, name, outcome.storePath);
  // The lock names the profile of what is active, so it changes only after the switch.
  if (profiles.stored) lockProfile(ctx.layout.lockFile, name, profiles.stored, bolt ? 'boltProfiles' : 'packages');
  const used = bolt ? profiles.bolt! : profiles.pgo;
  const built = {
    storePath: outcome.storePath,
    generation,
    mergeGeneration: used.generation,
    profileStorePath: used.storePath,
    build: record,
    origin: outcome.origin,
  };
  recordStep(ctx, name, (current) => afterOptimizedBuilt(current, built, ended), 'switched', {
    variant,
    storePath: outcome.storePath,
    generation,
  });
  await ctx.notifier.notify({ type: 'switched', package: name, variant, storePath: outcome.storePath, generation });
  return outcome;
}

/**
 * The end of a refresh window: the fresh merge combined with the carried profile's functions that
 * the profiling variant (the instrumented twin of what is built now) still has, in the work directory.
 */
async function combineRefresh(
  ctx: ActionContext,
  name: string,
  fresh: string,
  carried: string,
  generation: number,
): Promise<string> {
  const record: LifecycleRecord | null = getLifecycle(ctx.db, name);
  const twin = record?.profilingPath ? readProfilingManifest(record.profilingPath) : null;
  if (!record || !twin) return fresh;
  const keys = profileFormat(twin.toolchain).listBuildKeys(twin, profilingOutputs(record));
  const dir = join(ctx.layout.workDir, 'refresh', packageDirName(name));
  mkdirSync(dir, { recursive: true });
  const target = join(dir, generationName(generation, twin.toolchain));
  rmSync(target, { recursive: true, force: true });
  const report = await combineWithCarried(twin.toolchain, twin.mergeTool, fresh, carried, keys, target);
  ctx.logger.log('info', 'refresh-combined', { package: name, generation, ...report });
  return target;
}
