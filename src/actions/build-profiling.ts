/**
 * Builds a stage's profiling variant (PGO-instrumented, or BOLT-instrumented
 * on the PGO-optimized build) and switches to it. A BOLT variant is only
 * switched in when it instrumented some file and its programs can write where
 * it says (they fail otherwise).
 */
import { readFileSync } from 'node:fs';
import { findPackage } from '../config/find-package.js';
import { manifestPathOf, parseBoltOutcomes, parseManifest } from '../formats/manifest.js';
import { judgeBoltVariant } from '../lifecycle/judge-bolt-variant.js';
import {
  afterBoltProfilingBuilt,
  afterBuildInterrupted,
  afterProfilingBuildBegun,
  afterProfilingBuilt,
  afterProfilingFailed,
  recordBuild,
} from '../lifecycle/next-record.js';
import { boltDataName, type Stage, type Variant } from '../model/variants.js';
import { ensureBoltDir } from '../spool/bolt-dir.js';
import { buildLogFile, planBuild } from '../variants/plan-build.js';
import { getLifecycle } from '../state/lifecycle-records.js';
import { runBuild } from '../variants/run-build.js';
import type { ActionContext } from './action-context.js';
import { lockedPgoProfile } from './locked-pgo-profile.js';
import { recordStep } from './record-step.js';
import { switchIn } from './switch-in.js';

export async function buildProfiling(ctx: ActionContext, name: string, stage: Stage): Promise<void> {
  const pkg = findPackage(ctx.config, name);
  const variant: Variant = stage === 'pgo' ? 'profile' : 'bolt-profile';
  const started = ctx.now();
  const logFile = buildLogFile(ctx.layout.logDir, name, variant, started);
  // Recorded before anything can fail, so status shows the build while it runs and a failure counts.
  const requested = getLifecycle(ctx.db, name)?.buildRequested ?? false;
  recordStep(
    ctx,
    name,
    (record) =>
      afterProfilingBuildBegun(record, { variant, startedAt: started.toISOString(), logFile, requested }, started),
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
  let outcome = await runBuild(plan, { signal: ctx.signal });
  const manifestPath = outcome.ok ? manifestPathOf(outcome.storePath) : null;
  if (outcome.ok && stage === 'bolt') {
    const problem = checkBoltVariant(manifestPath!);
    if (problem)
      outcome = { ok: false, error: `${plan.what} cannot be used: ${problem}`, logTail: '', logFile: outcome.logFile };
  }
  const ended = ctx.now();
  const build = recordBuild(variant, started, ended, outcome);
  if (!outcome.ok && outcome.interrupted) {
    recordStep(ctx, name, (record) => afterBuildInterrupted(record, ended), 'build-interrupted', { variant });
    ctx.logger.log('warn', 'build-interrupted', { package: name, variant, log: outcome.logFile });
    return;
  }
  if (!outcome.ok) {
    const error = outcome.error;
    const failed = recordStep(
      ctx,
      name,
      (record) => afterProfilingFailed(record, { build, error }, pkg.policy.retry, ended),
      'build-failed',
      { variant },
    );
    await ctx.notifier.notify({
      type: 'build-failed',
      package: name,
      error,
      logTail: outcome.logTail,
      logFile: outcome.logFile,
      retryAt: failed.nextRetryAt!,
    });
    return;
  }
  ctx.collector?.register(stage === 'pgo' ? name : boltDataName(name), manifestPath!);
  const generation = await switchIn(ctx, name, outcome.storePath);
  const built = { storePath: outcome.storePath, generation, build, origin: outcome.origin };
  recordStep(
    ctx,
    name,
    (record) =>
      stage === 'pgo' ? afterProfilingBuilt(record, built, ended) : afterBoltProfilingBuilt(record, built, ended),
    'switched',
    { variant, storePath: outcome.storePath, generation },
  );
  await ctx.notifier.notify({ type: 'switched', package: name, variant, storePath: outcome.storePath, generation });
}

/** Why a BOLT-instrumented build must not become active, or null: the verdict on its manifest, then its directory. */
function checkBoltVariant(manifestPath: string): string | null {
  const text = readFileSync(manifestPath, 'utf8');
  const manifest = parseManifest(text, manifestPath);
  return (
    judgeBoltVariant(manifest, parseBoltOutcomes(text)) ?? ensureBoltDir(manifest.boltDir!, process.getuid?.() ?? 0)
  );
}
