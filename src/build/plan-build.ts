/**
 * Decides the nix-build invocation for a package's variant (pure): which
 * attribute, which profile argument, where the log and the out-link go.
 */
import { join } from 'node:path';
import type { NixBuildRequest } from '../tools/nix-build.js';

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
}

/** A Nix expression for `{ name = "/nix/store/..."; }`, safe for any name. */
export function profileSetExpression(name: string, storePath: string): string {
  return `{ ${JSON.stringify(name)} = ${JSON.stringify(storePath)}; }`;
}

export function planBuild(
  target: BuildTarget,
  variant: Variant,
  options: { profileStorePath?: string; logDir: string; timeoutMs: number; now: Date },
): BuildPlan {
  const args: Record<string, string> = {};
  if (variant === 'optimized') {
    if (!options.profileStorePath) throw new Error(`planBuild: an optimized build of ${target.name} needs a profile`);
    args[target.profileArg] = profileSetExpression(target.name, options.profileStorePath);
  }
  const stamp = options.now.toISOString().replace(/[:.]/g, '-');
  return {
    request: {
      file: target.nixFile,
      attr: `${target.attr}.pgo.${variant === 'profile' ? 'profile' : 'optimized'}`,
      args,
      timeoutMs: options.timeoutMs,
    },
    logFile: join(options.logDir, target.name, `${stamp}-${variant}.log`),
  };
}
