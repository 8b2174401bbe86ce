/**
 * The package's derivation changed under its optimized variant: the new
 * derivation is built with the profile(s) the active variant was built with,
 * exactly as the lock file names them, and switched to once it builds. The
 * old optimized variant stays active until then, so an upgrade never puts a
 * slower, instrumented build in its place.
 */
import { findPackage } from '../config/find-package.js';
import { StateError } from '../errors/errors.js';
import type { TickAction } from '../lifecycle/plan-tick.js';
import { getLifecycle } from '../state/lifecycle-records.js';
import { planBuild } from '../variants/plan-build.js';
import { runBuild } from '../variants/run-build.js';
import type { ActionContext } from './action-context.js';
import { buildAndSwitch } from './build-optimized.js';
import { recordStep } from './record-step.js';
import { recordedProfile } from './recorded-profile.js';

export async function carryOver(
  ctx: ActionContext,
  action: Extract<TickAction, { type: 'carry-over' }>,
): Promise<void> {
  const record = getLifecycle(ctx.db, action.name);
  if (!record) throw new StateError('STATE', `${action.name} has no lifecycle record to carry over`);
  const bolt = action.variant === 'bolt-optimized';
  const pgo = await recordedProfile(ctx, record, 'packages');
  const boltProfile = bolt ? await recordedProfile(ctx, record, 'boltProfiles') : null;
  if (!pgo || (bolt && !boltProfile))
    throw new StateError('STATE', `${action.name} has no profile to carry over to its new derivation`, {
      hints: [`start over with a profiling build of the new one: nix-pgo reset ${action.name}`],
    });
  await buildAndSwitch(ctx, {
    name: action.name,
    variant: action.variant,
    generation: (bolt ? boltProfile : pgo)!.generation,
    requested: record.buildRequested,
    // Already in the store; locked again after the switch (the same entry, unless the lock had lost it).
    profiles: async () => ({ pgo, ...(boltProfile ? { bolt: boltProfile } : {}), stored: boltProfile ?? pgo }),
  });
  const after = getLifecycle(ctx.db, action.name);
  if (!bolt || after?.state !== 'bolt-optimized' || !after.lastBuild?.ok) return;
  // The BOLT-optimized build was made from the new PGO-optimized one (already in the store): that is the
  // package's optimized variant now, the one `nix-pgo switch NAME optimized` and the next BOLT stage use.
  const pkg = findPackage(ctx.config, action.name);
  const now = ctx.now();
  const optimized = await runBuild(
    planBuild(pkg, 'optimized', {
      profile: pgo,
      logDir: ctx.layout.logDir,
      timeoutMs: pkg.policy.buildTimeoutMinutes * 60_000,
      now,
    }),
    { signal: ctx.signal },
  );
  if (!optimized.ok) return;
  recordStep(
    ctx,
    action.name,
    (r) => ({
      ...r,
      optimizedPath: optimized.storePath,
      origins: optimized.origin ? { ...r.origins, optimized: optimized.origin } : r.origins,
      updatedAt: now.toISOString(),
    }),
    'variant-recorded',
    { variant: 'optimized', storePath: optimized.storePath },
  );
}
