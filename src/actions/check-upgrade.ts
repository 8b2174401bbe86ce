/**
 * Notices an upgrade without building anything: evaluates the package's
 * profiling variant and the variant that is active (with the profiles it was
 * built with) to their store derivations, and compares the active one's
 * outputs with the active store path. A change is recorded as a lifecycle
 * step (upgrade-records.ts); a package never optimized starts over, and its
 * data of the old build is forgotten.
 */
import { findPackage } from '../config/find-package.js';
import { afterChecked, type CheckResult } from '../lifecycle/upgrade-records.js';
import type { LifecycleRecord, PackageOrigin } from '../model/lifecycle-record.js';
import type { Variant } from '../model/variants.js';
import { getLifecycle } from '../state/lifecycle-records.js';
import { instantiate } from '../tools/nix-instantiate.js';
import { planBuild } from '../variants/plan-build.js';
import { originOf, readDerivation } from '../variants/read-derivation.js';
import type { ActionContext } from './action-context.js';
import { recordStep } from './record-step.js';
import { recordedProfile } from './recorded-profile.js';

/** What a check found, for `nix-pgo check` to show. */
export interface CheckReport {
  name: string;
  result: CheckResult['kind'] | 'nothing-active';
  record: LifecycleRecord | null;
}

export async function checkUpgrade(ctx: ActionContext, name: string): Promise<CheckReport> {
  const before = getLifecycle(ctx.db, name);
  if (!before?.activeVariant || !before.activePath) {
    const record = recordStep(ctx, name, (r) => ({ ...r, checkRequested: false }), 'checked', { active: null });
    return { name, result: 'nothing-active', record };
  }
  const result = await compareDerivations(ctx, before);
  const record = recordStep(ctx, name, (r) => afterChecked(r, result, ctx.now()), 'checked', {
    result: result.kind,
    ...(result.kind === 'changed' ? { to: result.to } : {}),
    ...(result.kind === 'failed' ? { error: result.error } : {}),
  });
  if (result.kind === 'failed') ctx.logger.log('warn', 'check-failed', { package: name, error: result.error });
  if (result.kind === 'changed') {
    ctx.logger.log('info', 'upgrade-noticed', {
      package: name,
      from: before.origins?.[before.activeVariant],
      to: result.to,
    });
    // Started over: what the old build's programs wrote would only mislead the new one.
    if (record.state === 'vanilla' && before.state !== 'vanilla') await ctx.collector?.forget(name);
  }
  return { name, result: result.kind, record };
}

/** The variant a carry-over of `record` builds: the BOLT-optimized one when that is active, else the optimized one. */
function carryVariant(record: LifecycleRecord): 'optimized' | 'bolt-optimized' {
  return record.activeVariant === 'bolt-optimized' ? 'bolt-optimized' : 'optimized';
}

async function compareDerivations(ctx: ActionContext, record: LifecycleRecord): Promise<CheckResult> {
  const pkg = findPackage(ctx.config, record.name);
  const active = record.activeVariant!;
  try {
    // The profiles the active build (or, for a profiling variant during a refresh, the carry-over) took.
    const pgo = record.profileStorePath !== null ? await recordedProfile(ctx, record, 'packages') : null;
    const bolt = active === 'bolt-optimized' ? await recordedProfile(ctx, record, 'boltProfiles') : null;
    const options = {
      logDir: ctx.layout.logDir,
      timeoutMs: pkg.policy.buildTimeoutMinutes * 60_000,
      now: ctx.now(),
      ...(pgo ? { profile: pgo } : {}),
      ...(bolt ? { boltProfile: bolt } : {}),
    };
    const carried = pgo !== null && record.state !== 'vanilla' ? carryVariant(record) : null;
    const variants: Variant[] = [...new Set<Variant>(['profile', active, ...(carried ? [carried] : [])])];
    const plans = variants.map((v) => planBuild(pkg, v, options));
    const args = Object.assign({}, ...plans.map((p) => p.request.args)) as Record<string, string>;
    const drvPaths = await instantiate({
      file: pkg.nixFile,
      attrs: plans.map((p) => p.request.attr),
      args,
      timeoutMs: options.timeoutMs,
      signal: ctx.signal,
    });
    const drvs = new Map(variants.map((v, i) => [v, drvPaths[i]!] as const));
    const activeDrv = readDerivation(drvs.get(active)!);
    if (Object.values(activeDrv.outputs).includes(record.activePath!)) {
      const origins: Partial<Record<Variant, PackageOrigin>> = { [active]: originOf(drvs.get(active)!, activeDrv) };
      const profileDrv = readDerivation(drvs.get('profile')!);
      if (record.profilingPath && Object.values(profileDrv.outputs).includes(record.profilingPath))
        origins.profile = originOf(drvs.get('profile')!, profileDrv);
      return { kind: 'same', origins };
    }
    return { kind: 'changed', to: originOf(drvs.get(carried ?? 'profile')!) };
  } catch (error) {
    return { kind: 'failed', error: (error as Error).message.split('\n').slice(0, 6).join('\n') };
  }
}
