/**
 * `nix-pgo rollback`: without a package, the whole Nix profile goes back one
 * generation and each package whose variant that changes follows what the
 * generation holds (and is held there); with one, that package goes back to
 * its profiling variant in a new generation (refused, without `force`, when
 * that variant is a build of an older derivation than the Nix file gives).
 * Either way the lock file follows (follow-lock.ts): a package no longer on
 * its optimized variant leaves it.
 */
import { profileContents, rollbackProfile } from '../activate/switch-profile.js';
import { StateError } from '../errors/errors.js';
import { afterUserSwitch } from '../lifecycle/next-record.js';
import { listLifecycles } from '../state/lifecycle-records.js';
import type { LifecycleRecord } from '../model/lifecycle-record.js';
import type { Variant } from '../model/variants.js';
import type { ActionContext } from './action-context.js';
import { applyLock, prepareLock, type LockChange, type LockStep } from './follow-lock.js';
import { recordStep } from './record-step.js';
import { switchVariant, variantPaths } from './switch-variant.js';

export interface RollbackResult {
  generation: number;
  packages: {
    name: string;
    variant: Variant | null;
    storePath: string | null;
    lock: LockChange;
    /** False when the generation gone back to holds the same variant as before (the package is not held). */
    changed: boolean;
    note?: string;
  }[];
}

export async function rollback(
  ctx: ActionContext,
  name?: string,
  options: { force?: boolean } = {},
): Promise<RollbackResult> {
  if (name !== undefined) {
    const result = await switchVariant(ctx, name, 'profile', {
      force: options.force,
      command: `rollback ${name}`,
    });
    return {
      generation: result.generation,
      packages: [
        {
          name,
          variant: 'profile',
          storePath: result.storePath,
          lock: result.lock,
          changed: true,
          ...(result.note ? { note: result.note } : {}),
        },
      ],
    };
  }
  const generation = await rollbackProfile(ctx.config.nixProfile);
  if (generation === null)
    throw new StateError('STATE', `${ctx.config.nixProfile} has no earlier generation to roll back to`);
  const contents = new Set(await profileContents(ctx.config.nixProfile));
  const packages: RollbackResult['packages'] = [];
  for (const record of listLifecycles(ctx.db)) {
    if (record.state === 'building') continue;
    const paths = variantPaths(record);
    const variant = (Object.keys(paths) as Variant[]).find((v) => paths[v] !== null && contents.has(paths[v]!)) ?? null;
    const storePath = variant === null ? null : paths[variant];
    // A package the rollback leaves as it was is neither switched nor held.
    if (storePath === record.activePath) {
      packages.push({ name: record.name, variant, storePath, lock: 'unchanged', changed: false });
      continue;
    }
    const reason = `rolled back to profile generation ${generation}; held until nix-pgo switch or build`;
    recordStep(
      ctx,
      record.name,
      (current) => afterUserSwitch(current, { variant, storePath, generation, held: true, reason }, ctx.now()),
      'rolled-back',
      { generation },
    );
    packages.push({
      name: record.name,
      variant,
      storePath,
      lock: applyLock(ctx, record.name, await lockStepAfterRollback(ctx, record, variant)),
      changed: true,
    });
  }
  await ctx.notifier.notify({ type: 'rolled-back', package: null, generation });
  return { generation, packages };
}

/** The profile has already gone back: a profile no longer in the store cannot be locked again, so the package leaves the lock. */
async function lockStepAfterRollback(
  ctx: ActionContext,
  record: LifecycleRecord,
  variant: Variant | null,
): Promise<LockStep> {
  try {
    return await prepareLock(ctx, record, variant);
  } catch (error) {
    ctx.logger.log('warn', 'lock-not-restored', { package: record.name, error: (error as Error).message });
    return prepareLock(ctx, record, null);
  }
}
