/**
 * Measures how much of the active optimized variant's profile its derivation
 * uses: builds the instrumented twin (the profiling variant of the same
 * derivation, never switched in here), reads the keys its ELF files carry,
 * and compares them with the profile's functions (src/merge/measure-match.ts).
 * No compiler warning is involved, so nothing reaches a user's build log. The
 * twin becomes the package's profiling variant: a refresh or a rollback uses
 * a build of the current derivation.
 */
import { findPackage } from '../config/find-package.js';
import { afterMatchMeasured } from '../lifecycle/upgrade-records.js';
import { measureMatch } from '../merge/measure-match.js';
import { profileFormat } from '../merge/profile-formats.js';
import type { MatchRecord, PackageOrigin } from '../model/lifecycle-record.js';
import type { ProfileMatch } from '../model/profile-match.js';
import { getLifecycle } from '../state/lifecycle-records.js';
import { readLockedProfile, lockProfile } from '../store/store-profile.js';
import { planBuild } from '../variants/plan-build.js';
import { runBuild } from '../variants/run-build.js';
import type { ActionContext } from './action-context.js';
import { readProfilingManifest } from './profiling-manifest.js';
import { recordStep } from './record-step.js';

export async function measureProfileMatch(ctx: ActionContext, name: string): Promise<void> {
  const record = getLifecycle(ctx.db, name);
  const pkg = findPackage(ctx.config, name);
  if (!record?.optimizedPath || !record.profileStorePath) {
    recordStep(ctx, name, (r) => ({ ...r, measureRequested: false }), 'match-skipped');
    return;
  }
  const { optimizedPath, profileStorePath } = record;
  const started = ctx.now();
  const plan = planBuild(pkg, 'profile', {
    logDir: ctx.layout.logDir,
    timeoutMs: pkg.policy.buildTimeoutMinutes * 60_000,
    now: started,
  });
  ctx.logger.log('info', 'match-measuring', { package: name, log: plan.logFile });
  const outcome = await runBuild(plan, { signal: ctx.signal });
  // Stopped: measured again at the next tick.
  if (!outcome.ok && outcome.interrupted) return;
  let result: ProfileMatch | null = null;
  let unmeasured: string | null = null;
  let twin: { storePath: string; origin?: PackageOrigin } | null = null;
  if (!outcome.ok) unmeasured = outcome.error;
  else {
    twin = { storePath: outcome.storePath, origin: outcome.origin };
    const manifest = readProfilingManifest(outcome.storePath);
    const format = manifest ? profileFormat(manifest.toolchain) : null;
    const keys = manifest && format ? format.listBuildKeys(manifest, outcome.outputs ?? [outcome.storePath]) : null;
    if (!manifest || !format) unmeasured = `${outcome.storePath} has no profiling manifest nix-pgo can read`;
    else if (keys === null)
      unmeasured = `no ELF file of ${outcome.storePath} carries profile data in a layout nix-pgo reads (${manifest.toolchain} ${manifest.compilerVersion})`;
    else {
      try {
        result = measureMatch(await format.listRecords(manifest.mergeTool, profileStorePath), keys);
      } catch (error) {
        unmeasured = `the profile could not be read: ${(error as Error).message.split('\n')[0]}`;
      }
    }
  }
  const match: MatchRecord = { optimizedPath, profileStorePath, measuredAt: started.toISOString(), result, unmeasured };
  const after = recordStep(ctx, name, (r) => afterMatchMeasured(r, match, twin, ctx.now()), 'match-measured', {
    share: result?.share ?? null,
    functions: result?.functions ?? null,
    matched: result?.matched ?? null,
    unmeasured,
  });
  ctx.logger.log('info', 'match-measured', { package: name, ...(result ?? { unmeasured }) });
  // The lock entry of the profile says how much of it the build uses.
  const locked = readLockedProfile(ctx.layout.lockFile, name);
  const drvPath = after.origins?.optimized?.drvPath;
  if (result && drvPath && locked?.storePath === profileStorePath) {
    lockProfile(ctx.layout.lockFile, name, {
      ...locked,
      match: {
        drvPath,
        share: result.share,
        functions: result.functions,
        matched: result.matched,
        measuredAt: match.measuredAt,
      },
    });
  }
}
