/**
 * `nix-pgo switch`: one package's profiling or latest optimized variant into
 * the Nix profile, recorded in the lifecycle table so a running daemon and
 * `status` see it, and the lock file made to follow (follow-lock.ts). Works
 * beside a running daemon (no collector needed).
 */
import { StateError } from '../errors/errors.js';
import { afterUserSwitch, describeOrigin } from '../lifecycle/next-record.js';
import { findPackage } from '../config/find-package.js';
import { instantiate } from '../tools/nix-instantiate.js';
import { planBuild } from '../variants/plan-build.js';
import { originOf, readDerivation } from '../variants/read-derivation.js';
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
  /** What the user should know about the variant (switched to with --force although the Nix file gives another). */
  note?: string;
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

/**
 * Whether the profiling variant is a build of what the Nix file gives now: running, and training, a
 * build of an older version or derivation would feed the next optimized build data of the wrong
 * code. Throws unless `force`; returns a note for the user, or null when it is current.
 */
async function checkProfilingCurrent(
  ctx: ActionContext,
  record: LifecycleRecord,
  force: boolean,
  command: string,
): Promise<string | null> {
  const pkg = findPackage(ctx.config, record.name);
  const plan = planBuild(pkg, 'profile', { logDir: ctx.layout.logDir, timeoutMs: 600_000, now: ctx.now() });
  let drvPath: string | undefined;
  try {
    [drvPath] = await instantiate({ file: pkg.nixFile, attrs: [plan.request.attr], timeoutMs: 600_000 });
  } catch (error) {
    return `not compared with the Nix file, which could not be evaluated: ${(error as Error).message.split('\n')[0]}`;
  }
  if (!drvPath) return null;
  const drv = readDerivation(drvPath);
  if (Object.values(drv.outputs).includes(record.profilingPath!)) return null;
  const now = originOf(drvPath, drv);
  const old = record.origins?.profile;
  const what =
    old && (old.name !== now.name || old.version !== now.version)
      ? `a build of ${describeOrigin(old)}, and the Nix file now gives ${describeOrigin(now)}`
      : `a build of an older derivation of ${describeOrigin(now)} (its inputs, flags or compiler changed since)`;
  if (!force)
    throw new StateError(
      'STATE',
      `the profiling variant of ${record.name} is ${what}: switching to it would run, and train, the old build`,
      {
        hints: [
          `start over with a profiling build of the current one: nix-pgo reset ${record.name}`,
          `or switch to the old one anyway: nix-pgo ${command} --force`,
        ],
      },
    );
  return `the profiling variant is ${what} (switched with --force)`;
}

/** `variant` undefined: the package's best one. */
export async function switchVariant(
  ctx: ActionContext,
  name: string,
  variant?: Variant,
  options: { force?: boolean; command?: string } = {},
): Promise<SwitchResult> {
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
  const note =
    chosen === 'profile'
      ? await checkProfilingCurrent(ctx, record, options.force ?? false, options.command ?? `switch ${name} profile`)
      : null;
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
  return { name, variant: chosen, storePath, generation, lock, ...(note ? { note } : {}) };
}
