/**
 * Decides the nix-build invocation for a package's variant (pure): which
 * attribute, which profile argument, where the log and the out-link go.
 */
import { join } from 'node:path';
import type { NixBuildRequest } from '../tools/nix-build.js';
import { NIX_DIR } from './nix-dir.js';

export type Variant = 'profile' | 'optimized';

export interface BuildTarget {
  /** The package's name in the config; also its key in the profile argument. */
  name: string;
  nixFile: string;
  attr: string;
  /** Name of the function argument of `nixFile` that takes `{ NAME = PROFILE; }`. */
  profileArg: string;
}

export interface BuildPlan {
  request: NixBuildRequest;
  logFile: string;
  /** The build in words, for messages: which variant of which package, from which attribute of which file. */
  what: string;
}

/** What identifies a profile in the store: the fields of a lock file entry. */
export interface ProfileRef {
  storePath: string;
  hashMode: 'flat' | 'recursive';
  hash: string;
  /** The Nix system of the profile's derivation; absent in entries of older lock files. */
  system?: string;
}

/**
 * A Nix expression for `{ NAME = <the locked profile>; }`. It goes through
 * nix/locked-profile.nix, as an evaluation from the lock file does, so both
 * produce the same derivation.
 */
function profileSetExpression(name: string, profile: ProfileRef, nixDir: string): string {
  const system = profile.system === undefined ? '' : ` system = ${JSON.stringify(profile.system)};`;
  const entry = `{ storePath = ${JSON.stringify(profile.storePath)}; hashMode = ${JSON.stringify(profile.hashMode)}; hash = ${JSON.stringify(profile.hash)};${system} }`;
  return `{ ${JSON.stringify(name)} = import ${JSON.stringify(`${nixDir}/locked-profile.nix`)} ${JSON.stringify(name)} ${entry}; }`;
}

/** Where a build's whole log goes: one file per build, named by its start, below the package's log directory. */
export function buildLogFile(logDir: string, name: string, variant: Variant, startedAt: Date): string {
  return join(logDir, name, `${startedAt.toISOString().replace(/[:.]/g, '-')}-${variant}.log`);
}

export function planBuild(
  target: BuildTarget,
  variant: Variant,
  options: { profile?: ProfileRef; nixDir?: string; logDir: string; timeoutMs: number; now: Date },
): BuildPlan {
  const args: Record<string, string> = {};
  if (variant === 'optimized') {
    if (!options.profile) throw new Error(`planBuild: an optimized build of ${target.name} needs a profile`);
    args[target.profileArg] = profileSetExpression(target.name, options.profile, options.nixDir ?? NIX_DIR);
  }
  const attr = `${target.attr}.pgo.${variant === 'profile' ? 'profile' : 'optimized'}`;
  return {
    request: {
      file: target.nixFile,
      attr,
      args,
      timeoutMs: options.timeoutMs,
    },
    logFile: buildLogFile(options.logDir, target.name, variant, options.now),
    what: `the ${variant === 'profile' ? 'profiling' : 'optimized'} variant of ${target.name} (${attr} in ${target.nixFile})`,
  };
}
