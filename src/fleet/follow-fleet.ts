/**
 * A machine follows the fleet lock: it takes a lock only when the aggregator
 * signed it and its generation is not older than the one it follows; then
 * for each package the lock names it evaluates the optimized variant from
 * its own package set and the lock's profile, and finds that derivation's
 * output in the cache (signed by the aggregator) and substitutes it, never
 * building it. A machine whose derivation the cache lacks (its package set
 * differs) says so and builds it here with the fleet's profile, or waits, as
 * `fleet.fallback` says. A machine on profiling duty keeps the profiling
 * variant active.
 */
import { join } from 'node:path';
import type { ActionContext } from '../actions/action-context.js';
import { buildAndSwitch } from '../actions/build-optimized.js';
import { applyLock, prepareLock } from '../actions/follow-lock.js';
import { recordStep } from '../actions/record-step.js';
import { switchIn } from '../actions/switch-in.js';
import type { FleetConfig, PackageConfig } from '../config/config-types.js';
import { isSignedBy } from '../formats/nix-signature.js';
import { afterActionFailed, afterUserSwitch } from '../lifecycle/next-record.js';
import type { LifecycleRecord } from '../model/lifecycle-record.js';
import { getLifecycle } from '../state/lifecycle-records.js';
import type { LockedProfile } from '../store/lock-file.js';
import { describeStoredProfile } from '../store/store-profile.js';
import { copyFrom, queryPathInfo } from '../tools/nix.js';
import type { SubstituteFrom } from '../tools/nix-build.js';
import { addRoot } from '../tools/nix-store.js';
import { instantiate } from '../tools/nix-instantiate.js';
import { planBuild } from '../variants/plan-build.js';
import { readDerivation } from '../variants/read-derivation.js';
import type { FleetLock } from './fleet-documents.js';
import type { FleetKeys } from './fleet-keys.js';
import { findFleetLock, readLockDocument } from './fleet-lock.js';
import { type FollowedPackage, type FollowedState, readFollowed, writeFollowed } from './fleet-state.js';

export interface FollowReport {
  /** The generation followed after this round (null: the fleet has no lock yet). */
  generation: number | null;
  /** What each package the lock names got in this round (unchanged ones are left out). */
  packages: Record<string, FollowedPackage['outcome']>;
}

/** Whether to take a lock found in the cache, given the one followed (pure): never an older one. */
export function judgeFleetLock(
  followed: FollowedState['lock'],
  found: { storePath: string; generation: number },
): { take: boolean; why: string | null } {
  if (followed === null || found.generation > followed.generation) return { take: true, why: null };
  if (found.storePath === followed.storePath) return { take: false, why: null };
  return {
    take: false,
    why:
      found.generation < followed.generation
        ? `its generation ${found.generation} is older than generation ${followed.generation}, which this machine follows: an old lock put back is never followed`
        : `it claims generation ${found.generation}, which this machine follows as another lock (${followed.storePath})`,
  };
}

/** What a package needs this round (pure): nothing, the profiling variant for duty, or the fleet's build. */
export function decideFollow(
  record: LifecycleRecord | null,
  onDuty: boolean,
  previous: FollowedPackage | undefined,
  generation: number,
  now: Date,
): 'skip' | 'held' | 'duty' | 'follow' {
  if (!record || record.state === 'vanilla' || record.profilingPath === null) return 'skip';
  if (record.state === 'building' || record.activeBuild) return 'skip';
  if (record.held) return 'held';
  if (onDuty) return 'duty';
  const done = previous && previous.generation === generation && ['cache', 'here', 'built'].includes(previous.outcome);
  if (done && previous.storePath !== null && record.activePath === previous.storePath) return 'skip';
  // A build here that failed waits for the lifecycle's backoff, as any build does.
  if (record.nextRetryAt !== null && Date.parse(record.nextRetryAt) > now.getTime()) return 'skip';
  return 'follow';
}

export async function followFleet(ctx: ActionContext, fleet: FleetConfig, keys: FleetKeys): Promise<FollowReport> {
  const fleetDir = ctx.layout.fleetDir;
  const state = readFollowed(fleetDir);
  const at = ctx.now().toISOString();
  const report: FollowReport = { generation: state.lock?.generation ?? null, packages: {} };
  try {
    const found = await findFleetLock(fleet.cache, keys.aggregator);
    if (found && 'refused' in found) {
      // Not a lock the aggregator signed: the one followed stays.
      state.refused = {
        at,
        storePath: found.storePath,
        why: `the fleet lock ${found.storePath} is refused: ${found.refused}`,
      };
      ctx.logger.log('warn', 'fleet-lock-refused', { lock: found.storePath, why: found.refused });
    } else if (found) {
      const judged = judgeFleetLock(state.lock, {
        storePath: found.storePath,
        generation: found.lock.fleet.generation,
      });
      if (judged.take) {
        await addRoot(found.storePath, join(fleetDir, 'gcroots', 'followed-lock'));
        state.lock = {
          storePath: found.storePath,
          generation: found.lock.fleet.generation,
          publishedAt: found.lock.fleet.publishedAt,
          aggregator: found.lock.fleet.aggregator,
        };
        state.refused = null;
        ctx.logger.log('info', 'fleet-lock-followed', { generation: state.lock.generation, lock: found.storePath });
      } else if (judged.why) {
        state.refused = {
          at,
          storePath: found.storePath,
          why: `the fleet lock ${found.storePath} is refused: ${judged.why}`,
        };
        ctx.logger.log('warn', 'fleet-lock-refused', { lock: found.storePath, why: judged.why });
      }
    }
    if (state.lock) {
      const lock = readLockDocument(state.lock.storePath);
      report.generation = lock.fleet.generation;
      const onDuty = lock.fleet.profilingDuty.machines.includes(keys.self.name);
      for (const pkg of ctx.config.packages) {
        if (ctx.signal?.aborted) break;
        const entry = lock.packages[pkg.name];
        const build = lock.fleet.builds[pkg.name];
        if (!entry || !build) continue;
        const record = getLifecycle(ctx.db, pkg.name);
        const previous = state.packages[pkg.name];
        const decision = decideFollow(record, onDuty, previous, lock.fleet.generation, ctx.now());
        if (decision === 'skip') continue;
        const followed = await followPackage(ctx, fleet, keys, lock, pkg, record!, decision, entry, build);
        state.packages[pkg.name] = followed;
        report.packages[pkg.name] = followed.outcome;
        writeFollowed(fleetDir, state);
      }
    }
    state.lastAttempt = { at, error: null };
    writeFollowed(fleetDir, state);
    return report;
  } catch (error) {
    state.lastAttempt = { at, error: (error as Error).message };
    writeFollowed(fleetDir, state);
    throw error;
  }
}

async function followPackage(
  ctx: ActionContext,
  fleet: FleetConfig,
  keys: FleetKeys,
  lock: FleetLock,
  pkg: PackageConfig,
  record: LifecycleRecord,
  decision: 'held' | 'duty' | 'follow',
  entry: LockedProfile,
  build: FleetLock['fleet']['builds'][string],
): Promise<FollowedPackage> {
  const generation = lock.fleet.generation;
  const result = (outcome: FollowedPackage['outcome'], message: string, fields: Partial<FollowedPackage> = {}) => ({
    at: ctx.now().toISOString(),
    outcome,
    message,
    drvPath: null,
    fleetDrvPath: build.drvPath,
    storePath: null,
    generation,
    ...fields,
  });
  if (decision === 'held')
    return result('held', `held by the user (nix-pgo switch or rollback): the fleet's build is not switched to`);
  if (decision === 'duty') {
    const message = `on profiling duty with lock generation ${generation}: the profiling variant stays active, so the fleet's profile follows the workload`;
    if (record.activeVariant !== 'profile') await switchToProfiling(ctx, record, message);
    return result('duty', message, { storePath: record.profilingPath });
  }

  try {
    const plan = planBuild(pkg, 'optimized', {
      profile: entry,
      logDir: ctx.layout.logDir,
      timeoutMs: pkg.policy.buildTimeoutMinutes * 60_000,
      now: ctx.now(),
    });
    const [drvPath] = await instantiate({
      file: plan.request.file,
      attrs: [plan.request.attr],
      args: plan.request.args,
    });
    if (!drvPath) throw new Error(`${plan.request.attr} gave no derivation`);
    const outputs = Object.values(readDerivation(drvPath).outputs);
    const same = drvPath === build.drvPath;
    const fields = { drvPath };
    const differs = same
      ? null
      : `this machine's derivation differs from the fleet's (${drvPath}, the fleet built ${build.drvPath}): its package set differs`;
    if (record.activeVariant === 'optimized' && record.activePath !== null && outputs.includes(record.activePath))
      return result(same ? 'here' : 'built', `the fleet's build for lock generation ${generation} is active`, {
        ...fields,
        storePath: record.activePath,
      });

    const [local] = await queryPathInfo(outputs.slice(-1));
    const [cached] = local ? [null] : await queryPathInfo(outputs.slice(-1), { store: fleet.cache });
    const signed = cached !== null && cached !== undefined && isSignedBy(cached, keys.aggregator);
    let source: 'here' | 'cache' | 'built';
    let substituteFrom: SubstituteFrom | undefined;
    const from = { url: fleet.cache, publicKeys: [keys.aggregator.text] };
    if (local) source = 'here';
    else if (signed) {
      source = 'cache';
      substituteFrom = { ...from, only: true };
    } else {
      const lacks = differs ?? `the cache lacks ${outputs.at(-1)}${cached ? ` signed by ${keys.aggregator.name}` : ''}`;
      if (fleet.fallback === 'wait')
        return result('waiting', `${lacks}; waiting (fleet.fallback "wait"): the active variant stays`, fields);
      source = 'built';
      // The fleet's profile still comes from the cache; the rest is built here.
      substituteFrom = from;
    }
    const outcome = await buildAndSwitch(ctx, {
      name: pkg.name,
      variant: 'optimized',
      generation,
      requested: false,
      substituteFrom,
      profiles: async () => {
        const profile = await fetchProfile(ctx, fleet, pkg.name, entry, generation);
        return { pgo: profile, stored: profile };
      },
    });
    if (!outcome.ok) return result('failed', outcome.error, fields);
    const message =
      source === 'cache'
        ? `substituted from ${fleet.cache}: built once by ${lock.fleet.aggregator} with the data of ${build.machines.length} machine${build.machines.length === 1 ? '' : 's'} (lock generation ${generation})`
        : source === 'here'
          ? `built on this machine for lock generation ${generation}`
          : `${differs ?? `the cache lacked ${outputs.at(-1)}`}; built here with the fleet's profile (fleet.fallback "build"), lock generation ${generation}`;
    ctx.logger.log('info', 'fleet-followed', { package: pkg.name, source, generation, storePath: outcome.storePath });
    return result(source, message, { ...fields, storePath: outcome.storePath });
  } catch (error) {
    const message = (error as Error).message.split('\n')[0] ?? String(error);
    // A step that threw after the build was recorded as started leaves the package where it was, with a backoff.
    recordStep(
      ctx,
      pkg.name,
      (current) => afterActionFailed(current, message, pkg.policy.retry, ctx.now()),
      'build-failed',
      { error: message, fleet: true },
    );
    return result('failed', message);
  }
}

/** The fleet's profile here (copied from the cache when missing), checked against the lock's hash, and rooted. */
async function fetchProfile(
  ctx: ActionContext,
  fleet: FleetConfig,
  name: string,
  entry: LockedProfile,
  generation: number,
): Promise<LockedProfile> {
  const [here] = await queryPathInfo([entry.storePath]);
  if (!here) await copyFrom(fleet.cache, [entry.storePath]);
  const described = await describeStoredProfile({
    name,
    storePath: entry.storePath,
    generation,
    gcRootDir: ctx.layout.gcRootDir,
    now: ctx.now(),
  });
  // The signed lock names the hash: a profile with another content is not the fleet's.
  if (described.hash !== entry.hash)
    throw new Error(`the profile ${entry.storePath} has hash ${described.hash}, not the lock's ${entry.hash}`);
  return { ...entry, generation, lockedAt: described.lockedAt };
}

/** Profiling duty: the profiling variant back in the Nix profile, the package's lock entry dropped with it. */
async function switchToProfiling(ctx: ActionContext, record: LifecycleRecord, reason: string): Promise<void> {
  const lockStep = await prepareLock(ctx, record, 'profile');
  const generation = await switchIn(ctx, record.name, record.profilingPath!);
  recordStep(
    ctx,
    record.name,
    (current) =>
      afterUserSwitch(
        current,
        { variant: 'profile', storePath: record.profilingPath, generation, held: false, reason },
        ctx.now(),
      ),
    'switched',
    { variant: 'profile', storePath: record.profilingPath, generation, fleetDuty: true },
  );
  applyLock(ctx, record.name, lockStep);
}
