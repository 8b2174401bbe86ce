/**
 * `nix-pgo activate-system`, root's side of the switch on NixOS: reads the
 * daemon's proposal (its lock file and active-variants file, files of the
 * daemon's user only), checks it (check-proposal.ts, verify-profile-data.ts),
 * builds root's own evaluation of each accepted variant from the system's
 * Nix file of root's config (the expression `nixos-rebuild` evaluates, with
 * the proposed profiles as fixed-output data), switches root's profile (the
 * one on every user's PATH) to those builds, and writes the lock of what it
 * activated, which the system's next rebuild reads.
 *
 * A package whose proposal is rejected or whose build fails keeps what root
 * activated for it before; one the daemon proposes on its profiling variant
 * leaves root's profile (users get the system's own variant).
 */
import { closeSync, constants, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { activeVariantsFile, type ActiveVariants } from '../activate/active-variants.js';
import { switchProfile } from '../activate/switch-profile.js';
import type { Config, PackageConfig } from '../config/config-types.js';
import { writeFileAtomic } from '../durable/durable-file.js';
import { StateError } from '../errors/errors.js';
import type { Variant } from '../model/variants.js';
import { emptyLockFile, renderLockFile, withLockedProfile, type LockFile } from '../store/lock-file.js';
import { currentNixSystem } from '../store/nix-system.js';
import { readLockFile } from '../store/store-profile.js';
import { stateLayout } from '../state/state-layout.js';
import { lookupUid } from '../tools/getent.js';
import { queryElements } from '../tools/nix-env.js';
import { planBuild } from '../variants/plan-build.js';
import { runBuild } from '../variants/run-build.js';
import { checkProposal, type ProposedPackage, type Rejection } from './check-proposal.js';
import { verifyProfileData } from './verify-profile-data.js';

/** Far more than a lock file of many packages; a larger file is not read. */
const MAX_PROPOSAL_BYTES = 1024 * 1024;
/** A proposal that keeps changing while root activates is taken again, this many times at most. */
const MAX_ROUNDS = 5;

export interface ActivateSystemRequest {
  config: Config;
  /** The daemon's user: its files are the proposal; a file of anyone else is not read. */
  proposer: string;
  /** Root's profile, on every user's PATH. */
  profile: string;
  /** Root's lock file: what it activated, for the next rebuild. */
  lockFile: string;
  storeDir?: string;
  buildTimeoutMs?: number;
  now?: () => Date;
}

export type PackageOutcome = 'activated' | 'system' | 'kept' | 'failed';

export interface ActivatedPackage {
  name: string;
  /** What root's profile has for it now: a variant built by root, or `profile` (the system's own). */
  variant: Variant;
  storePath: string | null;
  outcome: PackageOutcome;
  why?: string;
}

export interface ActivateSystemResult {
  generation: number | null;
  packages: ActivatedPackage[];
  rejected: Rejection[];
}

/** The proposer's file, or null when there is none; never a link, anyone else's file, or anything but a regular file. */
function readProposalFile(path: string, owner: number): string | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw new StateError('STATE', `${path} is a symbolic link; the proposal is not read`);
    throw error;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new StateError('STATE', `${path} is not a regular file; the proposal is not read`);
    if (stat.uid !== owner)
      throw new StateError(
        'STATE',
        `${path} belongs to uid ${stat.uid}, not the daemon's user; the proposal is not read`,
      );
    if (stat.size > MAX_PROPOSAL_BYTES)
      throw new StateError('STATE', `${path} has ${stat.size} bytes, more than a proposal has; it is not read`);
    const buffer = Buffer.alloc(stat.size);
    let done = 0;
    while (done < buffer.length) {
      const n = readSync(fd, buffer, done, buffer.length - done, done);
      if (n === 0) break;
      done += n;
    }
    return buffer.subarray(0, done).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

interface Proposal {
  lockText: string | null;
  variantsText: string | null;
}

function readProposal(config: Config, owner: number): Proposal {
  return {
    lockText: readProposalFile(stateLayout(config.stateDir).lockFile, owner),
    variantsText: readProposalFile(activeVariantsFile(config.nixProfile), owner),
  };
}

/** What root activated before, per package: its element in root's profile, that build's variant, its lock entries. */
interface Previous {
  paths: Map<string, string>;
  variants: Record<string, Variant>;
  lock: LockFile;
}

async function readPrevious(request: ActivateSystemRequest): Promise<Previous> {
  let elements: { name: string; storePath: string }[] = [];
  try {
    elements = await queryElements(request.profile);
  } catch {
    // No profile yet: nothing was activated.
  }
  let lock = emptyLockFile();
  let variants: Record<string, Variant> = {};
  // Root's own files: unreadable only if damaged, and then written whole again below.
  try {
    lock = readLockFile(request.lockFile);
  } catch {}
  try {
    const file = activeVariantsFile(request.profile);
    if (existsSync(file)) variants = (JSON.parse(readFileSync(file, 'utf8')) as ActiveVariants).variants;
  } catch {}
  return { paths: new Map(elements.map((e) => [e.name, e.storePath])), variants, lock };
}

/** Root's own build of one accepted proposal, or why there is none. */
async function buildProposed(
  request: ActivateSystemRequest,
  pkg: PackageConfig,
  proposed: ProposedPackage,
): Promise<{ storePath: string } | { rejected: string } | { failed: string }> {
  const invalid =
    (await verifyProfileData(proposed.profile!, pkg.name, false)) ??
    (proposed.boltProfile ? await verifyProfileData(proposed.boltProfile, pkg.name, true) : null);
  if (invalid !== null) return { rejected: invalid };
  const plan = planBuild(
    {
      name: pkg.name,
      nixFile: pkg.nixFile,
      attr: pkg.attr,
      profileArg: pkg.profileArg,
      bolt: pkg.bolt ? { profileArg: pkg.bolt.profileArg } : null,
    },
    proposed.variant,
    {
      profile: proposed.profile!,
      ...(proposed.boltProfile ? { boltProfile: proposed.boltProfile } : {}),
      logDir: join(dirname(request.profile), 'logs'),
      timeoutMs: request.buildTimeoutMs ?? pkg.policy.buildTimeoutMinutes * 60_000,
      now: request.now?.() ?? new Date(),
    },
  );
  const outcome = await runBuild(plan);
  return outcome.ok ? { storePath: outcome.storePath } : { failed: outcome.error };
}

async function activateOnce(request: ActivateSystemRequest, proposal: Proposal): Promise<ActivateSystemResult> {
  const { config } = request;
  const checked = checkProposal(proposal, {
    packages: config.packages.map((p) => ({ name: p.name, bolt: p.bolt !== null })),
    storeDir: request.storeDir ?? '/nix/store',
    system: currentNixSystem(),
  });
  const previous = await readPrevious(request);
  const active: Record<string, string> = {};
  let lock = emptyLockFile();
  const packages: ActivatedPackage[] = [];

  const keepPrevious = (name: string, outcome: PackageOutcome, why: string) => {
    const path = previous.paths.get(name) ?? null;
    if (path !== null) active[name] = path;
    const entry = previous.lock.packages[name];
    if (entry) lock = withLockedProfile(lock, name, entry);
    const boltEntry = previous.lock.boltProfiles?.[name];
    if (boltEntry) lock = withLockedProfile(lock, name, boltEntry, 'boltProfiles');
    const variant = path === null ? 'profile' : (previous.variants[name] ?? 'optimized');
    packages.push({ name, variant, storePath: path, outcome, why });
  };

  for (const pkg of config.packages) {
    const proposed = checked.packages.find((p) => p.name === pkg.name);
    if (!proposed) {
      const why = checked.rejected.find((r) => r.name === pkg.name)?.why ?? 'the proposal was rejected as a whole';
      keepPrevious(pkg.name, 'kept', why);
      continue;
    }
    if (proposed.variant === 'profile') {
      packages.push({ name: pkg.name, variant: 'profile', storePath: null, outcome: 'system' });
      continue;
    }
    const built = await buildProposed(request, pkg, proposed);
    if ('rejected' in built) {
      keepPrevious(pkg.name, 'kept', built.rejected);
      continue;
    }
    if ('failed' in built) {
      keepPrevious(pkg.name, 'failed', built.failed);
      continue;
    }
    active[pkg.name] = built.storePath;
    lock = withLockedProfile(lock, pkg.name, proposed.profile!);
    if (proposed.variant === 'bolt-optimized')
      lock = withLockedProfile(lock, pkg.name, proposed.boltProfile!, 'boltProfiles');
    packages.push({ name: pkg.name, variant: proposed.variant, storePath: built.storePath, outcome: 'activated' });
  }

  const generation =
    Object.keys(active).length === 0 && previous.paths.size === 0 ? null : await switchProfile(request.profile, active);
  writeFileAtomic(request.lockFile, renderLockFile(lock));
  return { generation, packages, rejected: checked.rejected };
}

export async function activateSystem(request: ActivateSystemRequest): Promise<ActivateSystemResult> {
  const owner = await lookupUid(request.proposer);
  if (owner === null)
    throw new StateError('STATE', `no user ${request.proposer}: the daemon's user proposes what root activates`);
  let proposal = readProposal(request.config, owner);
  for (let round = 1; ; round++) {
    const result = await activateOnce(request, proposal);
    const now = readProposal(request.config, owner);
    if ((now.lockText === proposal.lockText && now.variantsText === proposal.variantsText) || round >= MAX_ROUNDS)
      return result;
    proposal = now;
  }
}
