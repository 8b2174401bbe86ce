/**
 * What `nix-pgo build`, `switch` and `rollback` ask of the daemon's state.
 * Each records its change in the slot table, so the running daemon and status
 * see it, and switches the Nix profile itself when the change is a switch.
 */
import { listGenerations } from '../tools/nix-env.js';
import { profileContents, rollbackProfile, switchProfile } from '../activate/switch-profile.js';
import { InputError } from '../errors/errors.js';
import { transitionSlot } from '../lifecycle/transition.js';
import type { SlotRow } from '../state/lifecycle-records.js';
import { activeSet } from './apply-action.js';
import { packageNamed, type DaemonContext } from './action-context.js';

function slotOf(ctx: Pick<DaemonContext, 'config' | 'slots'>, name: string): SlotRow {
  packageNamed(ctx.config, name);
  const slot = ctx.slots.get(name);
  if (!slot || slot.profilingPath === null) {
    throw new InputError('USAGE', `${name} has no profiling variant yet; start the daemon (nix-pgo daemon) or run nix-pgo build ${name}`);
  }
  return slot;
}

/** Marks a package to be built now, whatever its policy says; the next tick builds it. */
export function requestBuild(ctx: Pick<DaemonContext, 'config' | 'slots' | 'now'>, name: string): SlotRow {
  const slot = slotOf(ctx, name);
  const next = { ...slot, buildRequested: true, held: false, nextRetryAt: null, updatedAt: ctx.now().toISOString() };
  ctx.slots.save(next, 'build-requested');
  return next;
}

export interface SwitchResult {
  name: string;
  variant: 'profile' | 'optimized';
  storePath: string;
  generation: number;
}

/** Puts one package's profiling or latest optimized variant into the profile. */
export async function switchVariant(ctx: DaemonContext, name: string, variant: 'profile' | 'optimized'): Promise<SwitchResult> {
  const slot = slotOf(ctx, name);
  if (slot.state === 'building') throw new InputError('USAGE', `${name} is being built; switch when the build has ended`);
  const storePath = variant === 'profile' ? slot.profilingPath! : slot.optimizedPath;
  if (!storePath) throw new InputError('USAGE', `${name} has no optimized variant yet; see nix-pgo status ${name}`);
  const generation = await switchProfile(ctx.config.nixProfile, activeSet(ctx.slots.all(), name, storePath));
  ctx.slots.save(
    followVariant(slot, variant, storePath, generation, {
      // Going back to profiling by hand means: stay there until asked.
      held: variant === 'profile',
      reason: variant === 'profile' ? 'switched back to the profiling variant by the user; held until nix-pgo switch or build' : 'switched to the optimized variant by the user',
      now: ctx.now(),
    }),
    'switched',
    { variant, storePath, generation, byUser: true },
  );
  await ctx.notifier.notify({ type: 'switched', package: name, variant, storePath, generation });
  return { name, variant, storePath, generation };
}

export interface RollbackResult {
  generation: number;
  packages: { name: string; variant: 'profile' | 'optimized' | null; storePath: string | null }[];
}

/**
 * Without a package: the whole profile goes back one generation and each slot
 * follows what that generation holds. With one: that package goes back to its
 * profiling variant in a new generation, the others stay.
 */
export async function rollback(ctx: DaemonContext, name?: string): Promise<RollbackResult> {
  if (name !== undefined) {
    const result = await switchVariant(ctx, name, 'profile');
    return { generation: result.generation, packages: [{ name, variant: 'profile', storePath: result.storePath }] };
  }
  if ((await listGenerations(ctx.config.nixProfile).catch(() => [])).length < 2) {
    throw new InputError('USAGE', `${ctx.config.nixProfile} has no earlier generation to roll back to`);
  }
  const generation = await rollbackProfile(ctx.config.nixProfile);
  const contents = new Set(await profileContents(ctx.config.nixProfile));
  const packages: RollbackResult['packages'] = [];
  for (const slot of ctx.slots.all()) {
    if (slot.state === 'building') continue;
    const variant = slot.optimizedPath && contents.has(slot.optimizedPath) ? 'optimized' : slot.profilingPath && contents.has(slot.profilingPath) ? 'profile' : null;
    const storePath = variant === 'optimized' ? slot.optimizedPath : variant === 'profile' ? slot.profilingPath : null;
    ctx.slots.save(
      followVariant(slot, variant, storePath, generation, {
        held: true,
        reason: `rolled back to profile generation ${generation}; held until nix-pgo switch or build`,
        now: ctx.now(),
      }),
      'rolled-back',
      { generation },
    );
    packages.push({ name: slot.name, variant, storePath });
  }
  await ctx.notifier.notify({ type: 'rolled-back', package: null, generation });
  return { generation, packages };
}

/** The slot after the user put `variant` (null: none) into the profile (pure). */
function followVariant(
  slot: SlotRow,
  variant: 'profile' | 'optimized' | null,
  storePath: string | null,
  generation: number,
  change: { held: boolean; reason: string; now: Date },
): SlotRow {
  const to = variant === 'optimized' ? 'optimized' : variant === 'profile' ? (slot.seenGeneration > 0 ? 'collecting' : 'profiling') : 'vanilla';
  const next = transitionSlot({ state: slot.state, beforeBuild: slot.beforeBuild }, { type: 'rollback', to });
  return {
    ...slot,
    state: next.state,
    beforeBuild: null,
    activeVariant: variant,
    activePath: storePath,
    generation,
    held: change.held,
    reason: change.reason,
    updatedAt: change.now.toISOString(),
  };
}
