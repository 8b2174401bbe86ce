/**
 * Decides the nix-build invocation for a package's variant (pure): which
 * attribute, which profile argument, where the log and the out-link go.
 */
import { join } from 'node:path';
import type { Variant } from '../model/variants.js';
import type { NixBuildRequest } from '../tools/nix-build.js';
import { nixString } from '../tools/nix-common.js';
import { NIX_DIR } from './nix-dir.js';

export interface BuildTarget {
  /** The package's name in the config; also its key in the profile argument. */
  name: string;
  nixFile: string;
  attr: string;
  /** Name of the function argument of `nixFile` that takes `{ NAME = PROFILE; }`. */
  profileArg: string;
  /** With BOLT: the argument that takes `{ NAME = BOLT_PROFILE; }`. */
  bolt: { profileArg: string } | null;
}

/** Each variant's attribute below `ATTR.pgo`, and its name in messages. */
const VARIANTS: Record<Variant, { attr: string; words: string }> = {
  profile: { attr: 'profile', words: 'profiling variant' },
  optimized: { attr: 'optimized', words: 'optimized variant' },
  'bolt-profile': { attr: 'boltProfile', words: 'BOLT-instrumented variant' },
  'bolt-optimized': { attr: 'boltOptimized', words: 'BOLT-optimized variant' },
};

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
  const system = profile.system === undefined ? '' : ` system = ${nixString(profile.system)};`;
  const entry = `{ storePath = ${nixString(profile.storePath)}; hashMode = ${nixString(profile.hashMode)}; hash = ${nixString(profile.hash)};${system} }`;
  return `{ ${nixString(name)} = import ${nixString(`${nixDir}/locked-profile.nix`)} ${nixString(name)} ${entry}; }`;
}

/** Where a build's whole log goes: one file per build, named by its start, below the package's log directory. */
export function buildLogFile(logDir: string, name: string, variant: Variant, startedAt: Date): string {
  return join(logDir, name, `${startedAt.toISOString().replace(/[:.]/g, '-')}-${variant}.log`);
}

/**
 * Every variant but the profiling one takes the PGO profile (BOLT rewrites the PGO-optimized build);
 * the BOLT-optimized one also takes the BOLT profile.
 */
export function planBuild(
  target: BuildTarget,
  variant: Variant,
  options: {
    profile?: ProfileRef;
    boltProfile?: ProfileRef;
    nixDir?: string;
    logDir: string;
    timeoutMs: number;
    now: Date;
  },
): BuildPlan {
  const args: Record<string, string> = {};
  const nixDir = options.nixDir ?? NIX_DIR;
  if (variant !== 'profile') {
    if (!options.profile)
      throw new Error(`planBuild: the ${VARIANTS[variant].words} of ${target.name} needs a profile`);
    args[target.profileArg] = profileSetExpression(target.name, options.profile, nixDir);
  }
  if (variant === 'bolt-optimized') {
    if (!options.boltProfile || !target.bolt)
      throw new Error(`planBuild: the BOLT-optimized variant of ${target.name} needs a BOLT profile`);
    args[target.bolt.profileArg] = profileSetExpression(target.name, options.boltProfile, nixDir);
  }
  const attr = `${target.attr}.pgo.${VARIANTS[variant].attr}`;
  return {
    request: {
      file: target.nixFile,
      attr,
      args,
      timeoutMs: options.timeoutMs,
    },
    logFile: buildLogFile(options.logDir, target.name, variant, options.now),
    what: `the ${VARIANTS[variant].words} of ${target.name} (${attr} in ${target.nixFile})`,
  };
}
