/**
 * The profile matches the new derivation too little: its instrumented twin
 * (built when the match was measured) becomes active for a bounded window of
 * fresh data; the collector forgets what it had, so its merges hold only the
 * new derivation's runs, and the profile of the optimized build is carried to
 * the end of the window (build-optimized.ts combines them). The lock follows
 * what is active, as after any switch to a profiling variant.
 */
import { join } from 'node:path';
import { findPackage } from '../config/find-package.js';
import { StateError } from '../errors/errors.js';
import { describeRefreshWindow } from '../lifecycle/decide-refresh.js';
import { afterRefreshEnded, afterRefreshStarted } from '../lifecycle/upgrade-records.js';
import { getLifecycle } from '../state/lifecycle-records.js';
import type { ActionContext } from './action-context.js';
import { applyLock, prepareLock } from './follow-lock.js';
import { recordStep } from './record-step.js';
import { switchIn } from './switch-in.js';

export async function startRefresh(ctx: ActionContext, name: string): Promise<void> {
  const record = getLifecycle(ctx.db, name);
  const pkg = findPackage(ctx.config, name);
  if (!record?.profilingPath || !record.profileStorePath || !record.optimizedPath)
    throw new StateError('STATE', `${name} has no instrumented build of its current derivation to refresh with`);
  const lockStep = await prepareLock(ctx, record, 'profile');
  await ctx.collector?.forget(name);
  ctx.collector?.register(name, join(record.profilingPath, 'nix-support', 'pgo.json'));
  const generation = await switchIn(ctx, name, record.profilingPath);
  const started = {
    generation,
    carried: { storePath: record.profileStorePath, generation: record.profileGeneration ?? 0 },
    windowWords: describeRefreshWindow(pkg.policy.upgrades),
  };
  recordStep(ctx, name, (r) => afterRefreshStarted(r, started, ctx.now()), 'refresh-started', {
    share: record.match?.result?.share ?? null,
    storePath: record.profilingPath,
    generation,
  });
  applyLock(ctx, name, lockStep);
  ctx.logger.log('info', 'refresh-started', { package: name, share: record.match?.result?.share ?? null });
  await ctx.notifier.notify({
    type: 'switched',
    package: name,
    variant: 'profile',
    storePath: record.profilingPath,
    generation,
  });
}

/** The window ended without data: the optimized variant it started from is active (and locked) again. */
export async function endRefresh(ctx: ActionContext, name: string): Promise<void> {
  const record = getLifecycle(ctx.db, name);
  const storePath = record?.refresh?.optimizedPath ?? record?.optimizedPath;
  if (!record || !storePath) throw new StateError('STATE', `${name} has no optimized variant to go back to`);
  const lockStep = await prepareLock(ctx, record, 'optimized');
  const generation = await switchIn(ctx, name, storePath);
  recordStep(ctx, name, (r) => afterRefreshEnded(r, generation, ctx.now()), 'refresh-ended', { storePath, generation });
  applyLock(ctx, name, lockStep);
  await ctx.notifier.notify({ type: 'switched', package: name, variant: 'optimized', storePath, generation });
}
