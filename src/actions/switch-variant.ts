/**
 * `nix-pgo switch`: one package's profiling or latest optimized variant into
 * the Nix profile, recorded in the lifecycle table so a running daemon and
 * `status` see it, and the lock file made to follow (follow-lock.ts). Works
 * beside a running daemon (no collector needed).
 */
import { StateError } from '../errors/errors.js';
import { afterUserSwitch } from '../lifecycle/next-record.js';
import { findPackage } from '../config/find-package.js';
import type { LifecycleRecord } from '../model/lifecycle-record.js';
import type { Variant } from '../model/variants.js';
import type { ActionContext } from './action-context.js';
import { applyLock, prepareLock, type LockChange } from './follow-lock.js';
import { recordStep } from './record-step.js';
import { requireProfiled } from './require-profiled.js';
import { switchIn } from './switch-in.js';

export interface SwitchResult {
  name: string;
  variant: Variant;
  storePath: string;
  generation: number;
  /** The package's entry in the lock file: dropped for the profiling variant, written again for the optimized one. */
  lock: LockChange;
}

/** The store path of each variant a package has had. */
export function variantPaths(record: LifecycleRecord): Record<Variant, string | null> {
  return {
    profile: record.profilingPath,
    optimized: record.optimizedPath,
    'bolt-profile': record.boltProfilingPath ?? null,
    'bolt-optimized': record.boltOptimizedPath ?? null,
  };
}

/** The furthest variant a package has: BOLT-optimized, else optimized. */
export function bestVariant(record: LifecycleRecord): Variant {
  return record.boltOptimizedPath ? 'bolt-optimized' : 'optimized';
}

/** `variant` undefined: the package's best one. */
export async function switchVariant(ctx: ActionContext, name: string, variant?: Variant): Promise<SwitchResult> {
  const record = requireProfiled(ctx, name);
  if (record.state === 'building')
    throw new StateError('STATE', `${name} is being built; switch when the build has ended`, {
      hints: [`follow it with: nix-pgo status ${name}`],
    });
  const chosen = variant ?? bestVariant(record);
  const storePath = variantPaths(record)[chosen];
  if (!storePath)
    throw new StateError('STATE', `${name} has no ${chosen} variant yet`, {
      hints: [`see why: nix-pgo status ${name}`],
    });
  // Before the switch: a profile that is no longer in the store stops it here.
  const lockStep = await prepareLock(ctx, record, chosen);
  const generation = await switchIn(ctx, name, storePath);
  // Any variant but the last step the config asks for means: stay there until asked (switch or build).
  const bolt = findPackage(ctx.config, name).bolt !== null;
  const last = chosen === 'bolt-optimized' || (chosen === 'optimized' && !bolt);
  const reason = last
    ? `switched to the ${chosen} variant by the user`
    : `switched to the ${chosen} variant by the user; held there until nix-pgo switch or build`;
  recordStep(
    ctx,
    name,
    (current) => afterUserSwitch(current, { variant: chosen, storePath, generation, held: !last, reason }, ctx.now()),
    'switched',
    { variant: chosen, storePath, generation, byUser: true },
  );
  const lock = applyLock(ctx, name, lockStep);
  await ctx.notifier.notify({ type: 'switched', package: name, variant: chosen, storePath, generation });
  return { name, variant: chosen, storePath, generation, lock };
}
