/**
 * Where state, spool, quarantine and merged profiles live when nothing is
 * configured (one user, no NixOS), and the environment variables that point
 * instrumented programs at a user's part of the spool. Env is a parameter so
 * config code and tests can resolve paths for any environment.
 */
import { join } from 'node:path';
import { resolveDefaultStateDir } from '../config/default-paths.js';
import { InputError } from '../errors/errors.js';

export interface Locations {
  stateDir: string;
  database: string;
  spoolDir: string;
  quarantineDir: string;
  profilesDir: string;
  /** Copies taken from the spool and not yet merged. */
  stagingDir: string;
}

/** The directory every gcc profiling build bakes in; GCOV_PREFIX_STRIP removes its three components. */
export const GCC_BAKED_ROOT = '/tmp/nix-pgo/gcda';
export const GCOV_PREFIX_STRIP = GCC_BAKED_ROOT.split('/').filter(Boolean).length;

export function defaultStateDir(env: NodeJS.ProcessEnv): string {
  const dir = resolveDefaultStateDir(env);
  if (dir === undefined) {
    throw new InputError('CONFIG_INVALID', 'cannot find a state directory: neither XDG_STATE_HOME nor HOME is an absolute path');
  }
  return dir;
}

/** Lays out the directories under a state dir; the spool may live elsewhere (NixOS puts it under /var). */
export function locationsFor(stateDir: string, spoolDir = join(stateDir, 'spool')): Locations {
  return {
    stateDir,
    database: join(stateDir, 'state.sqlite'),
    spoolDir,
    quarantineDir: join(stateDir, 'quarantine'),
    profilesDir: join(stateDir, 'profiles'),
    stagingDir: join(stateDir, 'staging'),
  };
}

export function defaultLocations(env: NodeJS.ProcessEnv): Locations {
  return locationsFor(defaultStateDir(env));
}

export function userSpoolDir(spoolDir: string, uid: number): string {
  return join(spoolDir, String(uid));
}

/** The variables an instrumented program of this user needs; `%m` turns on the runtime's online merging. */
export function spoolEnvironment(spoolDir: string, uid: number): Record<string, string> {
  const userDir = userSpoolDir(spoolDir, uid);
  return {
    LLVM_PROFILE_FILE: join(userDir, 'llvm', '%m.profraw'),
    GCOV_PREFIX: join(userDir, 'gcda'),
    GCOV_PREFIX_STRIP: String(GCOV_PREFIX_STRIP),
  };
}
