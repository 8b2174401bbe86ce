/**
 * The aggregator's round: read every machine's pointer, take each new record
 * its machine signed (never one older than the record taken before), and for
 * each package merge the machines' profiles of the aggregator's own
 * instrumented build with the bound per machine (plan-fleet.ts). Once the
 * fleet's data meets the package's policy, store the fleet's profile, build
 * the optimized variant once, here, copy it and the profile to the cache
 * signed, and publish a new fleet lock (one more generation) with the
 * machines that keep profiling.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { ActionContext } from '../actions/action-context.js';
import { readProfilingManifest } from '../actions/profiling-manifest.js';
import type { FleetConfig, PackageConfig } from '../config/config-types.js';
import { StateError } from '../errors/errors.js';
import { generationName, packageDirName } from '../merge/plan-merge.js';
import { profileFormat } from '../merge/profile-formats.js';
import { checkMergedProfile } from '../merge/verify-profile.js';
import { getLifecycle } from '../state/lifecycle-records.js';
import type { LockedProfile } from '../store/lock-file.js';
import { storeProfile } from '../store/store-profile.js';
import { copyTo, signingStoreUrl } from '../tools/nix.js';
import { addFixed, addRoot } from '../tools/nix-store.js';
import { planBuild } from '../variants/plan-build.js';
import { runBuild } from '../variants/run-build.js';
import { fetchSigned, readPointer, writePointer } from './fleet-cache.js';
import {
  type FleetLock,
  type FleetRecord,
  FleetRecordSchema,
  type LockPointer,
  type MachinePointer,
  MachinePointerSchema,
  parseFleetDocument,
  renderFleetDocument,
} from './fleet-documents.js';
import type { FleetKeys } from './fleet-keys.js';
import { findFleetLock, LOCK_POINTER_NAME, readLockDocument } from './fleet-lock.js';
import { type AggregateState, type MachineState, readAggregate, writeAggregate } from './fleet-state.js';
import {
  chooseProfilingDuty,
  decideFleetBuild,
  type FleetInput,
  planFleetMerge,
  selectFleetInputs,
} from './plan-fleet.js';
import { machinePointerName } from './publish-profiles.js';

export interface AggregateReport {
  /** The generation of the lock published now, or null when none was. */
  generation: number | null;
  built: string[];
  failed: string[];
}

/** What one package's build adds to the next lock. */
interface PackageBuild {
  name: string;
  entry: LockedProfile;
  build: FleetLock['fleet']['builds'][string];
  inputs: string[];
}

export async function aggregateFleet(
  ctx: ActionContext,
  fleet: FleetConfig,
  keys: FleetKeys,
  options: { build?: boolean } = {},
): Promise<AggregateReport> {
  const fleetDir = ctx.layout.fleetDir;
  const state = readAggregate(fleetDir);
  const at = ctx.now().toISOString();
  try {
    if (state.generation === 0) {
      // A state directory that was lost or moved: the cache's lock says how far the fleet got.
      const found = await findFleetLock(fleet.cache, keys.aggregator);
      if (found && 'lock' in found)
        Object.assign(state, { generation: found.lock.fleet.generation, lock: found.storePath });
    }
    await takeRecords(ctx, fleet, keys, state, at);
    const generation = state.generation + 1;
    const builds: PackageBuild[] = [];
    const failed: string[] = [];
    for (const pkg of ctx.config.packages) {
      if (ctx.signal?.aborted) break;
      const build = await aggregatePackage(ctx, fleet, keys, state, pkg, generation, options.build ?? false);
      if (build === 'failed') failed.push(pkg.name);
      else if (build) builds.push(build);
    }
    if (builds.length > 0) await publishLock(ctx, fleet, keys, state, builds, generation, at);
    state.lastAttempt = { at, error: null };
    writeAggregate(fleetDir, state);
    return { generation: builds.length > 0 ? generation : null, built: builds.map((b) => b.name), failed };
  } catch (error) {
    state.lastAttempt = { at, error: (error as Error).message };
    writeAggregate(fleetDir, state);
    throw error;
  }
}

/** Reads each machine's pointer and takes the records that are new, signed by their machine, and newer than the last. */
async function takeRecords(
  ctx: ActionContext,
  fleet: FleetConfig,
  keys: FleetKeys,
  state: AggregateState,
  at: string,
): Promise<void> {
  const wanted = new Map<string, string>();
  for (const machine of keys.machines.keys()) {
    const previous = state.machines[machine];
    const kept: MachineState = previous ?? {
      record: null,
      publishedAt: null,
      checkedAt: at,
      problem: null,
      packages: {},
    };
    state.machines[machine] = { ...kept, checkedAt: at, problem: kept.record ? null : 'has published nothing yet' };
    const text = await readPointer(fleet.cache, machinePointerName(machine));
    if (text === null) continue;
    let pointer: MachinePointer;
    try {
      pointer = parseFleetDocument<MachinePointer>(
        MachinePointerSchema,
        text,
        `nix-pgo/${machinePointerName(machine)}`,
      );
    } catch (error) {
      state.machines[machine]!.problem = (error as Error).message;
      continue;
    }
    if (pointer.machine !== machine) state.machines[machine]!.problem = `its pointer names machine ${pointer.machine}`;
    else if (pointer.record !== kept.record) wanted.set(pointer.record, machine);
  }
  const fetched = await fetchSigned(fleet.cache, [...wanted.keys()], (path) => keys.machines.get(wanted.get(path)!)!);
  for (const [path, problem] of fetched) {
    const machine = wanted.get(path)!;
    const current = state.machines[machine]!;
    const refuse = (why: string) => {
      current.problem = `its pointer names ${path}, which ${why}; ${current.record ? 'the record taken before stays' : 'nothing is taken'}`;
      ctx.logger.log('warn', 'fleet-record-refused', { machine, record: path, why });
    };
    if (problem) {
      refuse(`is ${problem}`);
      continue;
    }
    let record: FleetRecord;
    try {
      record = parseFleetDocument<FleetRecord>(FleetRecordSchema, readFileSync(path, 'utf8'), 'it');
    } catch (error) {
      refuse(`is not a record: ${(error as Error).message}`);
      continue;
    }
    if (record.machine !== machine) refuse(`is machine ${record.machine}'s record`);
    else if (current.publishedAt !== null && Date.parse(record.publishedAt) <= Date.parse(current.publishedAt))
      refuse(
        `was published at ${record.publishedAt}, not after the record taken (${current.publishedAt}): an old pointer put back is not followed`,
      );
    else
      state.machines[machine] = {
        record: path,
        publishedAt: record.publishedAt,
        checkedAt: at,
        problem: null,
        packages: Object.fromEntries(
          Object.entries(record.packages).map(([name, p]) => [
            name,
            {
              profile: p.profile.storePath,
              drvPath: p.source.drvPath,
              toolchain: p.toolchain,
              runs: p.runs,
              claimedCounts: p.counts,
              mass: state.masses[p.profile.storePath] ?? null,
              excluded: null,
            },
          ]),
        ),
      };
  }
}

/** The package's fleet merge, and its build when one is due; null when none is. */
async function aggregatePackage(
  ctx: ActionContext,
  fleet: FleetConfig,
  keys: FleetKeys,
  state: AggregateState,
  pkg: PackageConfig,
  generation: number,
  requested: boolean,
): Promise<PackageBuild | 'failed' | null> {
  const name = pkg.name;
  const previous = state.packages[name];
  const lifecycle = getLifecycle(ctx.db, name);
  const origin = lifecycle?.origins?.profile;
  const manifest = lifecycle?.profilingPath ? readProfilingManifest(lifecycle.profilingPath) : null;
  const base = { machines: {}, counts: 0, runs: 0, built: previous?.built ?? null, failed: previous?.failed ?? null };
  if (!origin || !manifest) {
    state.packages[name] = {
      ...base,
      ready: false,
      reason: "waiting for this machine's own profiling build: its derivation is the fleet's",
    };
    return null;
  }
  const inputs: FleetInput[] = [];
  for (const [machine, m] of Object.entries(state.machines)) {
    const p = m.packages[name];
    if (p) inputs.push({ machine, profile: p.profile, drvPath: p.drvPath, toolchain: p.toolchain, runs: p.runs });
  }
  const { used, excluded } = selectFleetInputs(inputs, { drvPath: origin.drvPath, toolchain: manifest.toolchain });
  // Profiles not here yet: each must be signed by its machine.
  const missing = used.filter((u) => !existsSync(u.profile));
  const fetched = await fetchSigned(
    fleet.cache,
    [...new Set(missing.map((u) => u.profile))],
    (path) => keys.machines.get(missing.find((u) => u.profile === path)!.machine)!,
  );
  for (const [path, problem] of fetched)
    if (problem) for (const u of used) if (u.profile === path) excluded.set(u.machine, `its profile is ${problem}`);
  const usable = used.filter((u) => !excluded.has(u.machine));
  const format = profileFormat(manifest.toolchain);
  const scratch = join(ctx.layout.fleetDir, 'work');
  const measured: { machine: string; mass: number; runs: number; profile: string }[] = [];
  for (const u of usable) {
    let mass = state.masses[u.profile];
    if (mass === undefined) {
      mass = await measureStoredMass(format, manifest.mergeTool, u.profile, scratch);
      state.masses[u.profile] = mass;
    }
    measured.push({ machine: u.machine, mass, runs: u.runs, profile: u.profile });
  }
  for (const [machine, m] of Object.entries(state.machines)) {
    const p = m.packages[name];
    if (!p) continue;
    p.excluded = excluded.get(machine) ?? null;
    p.mass = state.masses[p.profile] ?? null;
  }
  const plan = planFleetMerge(measured, pkg.policy);
  const inputPaths = measured.map((m) => m.profile);
  state.packages[name] = {
    ...base,
    machines: Object.fromEntries(plan.machines),
    counts: plan.counts,
    runs: plan.runs,
    ready: plan.readiness.ready,
    reason:
      measured.length === 0
        ? "no machine has published data of the fleet's derivation yet"
        : `${plan.readiness.reason} from ${measured.length} machine${measured.length === 1 ? '' : 's'}`,
  };
  const due = decideFleetBuild({
    plan,
    inputs: inputPaths,
    policy: pkg.policy,
    built: previous?.built ?? null,
    failedInputs: previous?.failed?.inputs ?? null,
    requested,
  });
  if (!due) return null;

  // The fleet's profile: every machine's, each scaled by its weight.
  const dir = join(ctx.layout.fleetDir, 'merged', packageDirName(name));
  mkdirSync(dir, { recursive: true });
  const target = join(dir, generationName(generation, manifest.toolchain));
  rmSync(target, { recursive: true, force: true });
  await format.combine(
    manifest.mergeTool,
    measured.map((m) => ({ path: m.profile, weight: plan.machines.get(m.machine)!.weight })),
    target,
  );
  const problem = checkMergedProfile(manifest.toolchain, target);
  if (problem) throw new StateError('STATE', `the fleet's profile of ${name} is not whole: ${problem}`);
  const rootDir = join(ctx.layout.fleetDir, 'gcroots', 'fleet');
  const locked = await storeProfile({
    name,
    mergedPath: target,
    generation,
    gcRootDir: rootDir,
    workDir: ctx.layout.workDir,
    now: ctx.now(),
  });
  rmSync(target, { recursive: true, force: true });
  ctx.logger.log('info', 'fleet-build-started', { package: name, generation, profile: locked.storePath });
  const outcome = await runBuild(
    planBuild(pkg, 'optimized', {
      profile: locked,
      logDir: ctx.layout.logDir,
      timeoutMs: pkg.policy.buildTimeoutMinutes * 60_000,
      now: ctx.now(),
    }),
    { signal: ctx.signal },
  );
  if (!outcome.ok) {
    state.packages[name]!.failed = {
      at: ctx.now().toISOString(),
      error: outcome.error,
      logFile: outcome.logFile,
      inputs: inputPaths,
    };
    ctx.logger.log('error', 'fleet-build-failed', { package: name, error: outcome.error, log: outcome.logFile });
    return 'failed';
  }
  await addRoot(outcome.storePath, join(rootDir, `${name}-out-${generation}`));
  await copyTo(signingStoreUrl(fleet.cache, fleet.secretKeyFile), [outcome.storePath, locked.storePath], {
    signal: ctx.signal,
  });
  ctx.logger.log('info', 'fleet-build-pushed', { package: name, generation, storePath: outcome.storePath });
  const machines = measured.map((m) => m.machine).sort();
  state.packages[name]!.failed = null;
  state.packages[name]!.built = {
    generation,
    counts: plan.counts,
    drvPath: outcome.origin?.drvPath ?? '',
    outPath: outcome.storePath,
    inputs: inputPaths,
    logFile: outcome.logFile,
  };
  return {
    name,
    entry: { ...locked, source: { name: origin.name, version: origin.version, drvPath: origin.drvPath } },
    build: {
      drvPath: outcome.origin?.drvPath ?? '',
      outPath: outcome.storePath,
      machines,
      counts: plan.counts,
      runs: plan.runs,
    },
    inputs: inputPaths,
  };
}

/** Publishes the next lock: the packages built now over the last lock's, and the machines on profiling duty. */
async function publishLock(
  ctx: ActionContext,
  fleet: FleetConfig,
  keys: FleetKeys,
  state: AggregateState,
  builds: readonly PackageBuild[],
  generation: number,
  at: string,
): Promise<void> {
  const before = state.lock && existsSync(state.lock) ? readLockDocument(state.lock) : null;
  const packages = { ...before?.packages };
  const built = { ...before?.fleet.builds };
  for (const b of builds) {
    packages[b.name] = b.entry;
    built[b.name] = b.build;
  }
  // Machines that contribute data run the workload: those are the ones whose profiling is worth keeping.
  const contributing = Object.values(built).flatMap((b) => b.machines);
  const duty = chooseProfilingDuty(contributing, fleet.profilingDuty, generation);
  const lock: FleetLock = {
    version: 1,
    packages,
    fleet: {
      generation,
      publishedAt: at,
      aggregator: keys.self.name,
      builds: built,
      profilingDuty: { share: fleet.profilingDuty, machines: duty },
    },
  };
  const file = join(ctx.layout.workDir, 'nix-pgo-fleet-lock.json');
  mkdirSync(ctx.layout.workDir, { recursive: true });
  writeFileSync(file, renderFleetDocument(lock));
  const lockPath = await addFixed(file, { recursive: false });
  rmSync(file, { force: true });
  const rootDir = join(ctx.layout.fleetDir, 'gcroots', 'fleet');
  await addRoot(lockPath, join(rootDir, 'lock'));
  await copyTo(signingStoreUrl(fleet.cache, fleet.secretKeyFile), [lockPath], { signal: ctx.signal });
  const pointer: LockPointer = { nixPgoFleet: 'lock-pointer', version: 1, lock: lockPath, generation };
  await writePointer(fleet.cache, LOCK_POINTER_NAME, renderFleetDocument(pointer));
  state.generation = generation;
  state.lock = lockPath;
  state.duty = { share: fleet.profilingDuty, machines: duty, generation };
  dropStaleRoots(rootDir, generation);
  ctx.logger.log('info', 'fleet-lock-published', { generation, lock: lockPath, packages: Object.keys(packages), duty });
}

/** Roots of outputs of older locks (the lock's own root is replaced by the new one). */
function dropStaleRoots(rootDir: string, generation: number): void {
  for (const name of readdirSync(rootDir)) {
    const match = /-out-(\d+)$/.exec(name) ?? /-profile-(\d+)$/.exec(name);
    if (match && Number(match[1]) < generation - 1) rmSync(join(rootDir, name), { force: true });
  }
}

/** A machine profile's mass, measured on a copy (a format may write beside the file it reads; the store is read-only). */
async function measureStoredMass(
  format: ReturnType<typeof profileFormat>,
  tool: string,
  storePath: string,
  scratch: string,
): Promise<number> {
  mkdirSync(scratch, { recursive: true });
  const copy = join(scratch, `mass-${process.pid}-${storePath.slice(storePath.lastIndexOf('/') + 1)}`);
  if (statSync(storePath).isDirectory()) return format.measureMass(tool, storePath);
  try {
    copyFileSync(storePath, copy);
    return await format.measureMass(tool, copy);
  } finally {
    rmSync(copy, { force: true });
  }
}
