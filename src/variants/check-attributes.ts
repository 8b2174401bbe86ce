/**
 * Whether the Nix file of each package gives its profiling variant: one
 * evaluation per package (nix-instantiate, nothing is built), so a name
 * missing from the file is found by `check-config` rather than by a build
 * that fails and is retried with backoff.
 */
import type { Config, ConfigProblem } from '../config/config-types.js';
import { ToolError } from '../errors/errors.js';
import { instantiate } from '../tools/nix-instantiate.js';
import { planBuild } from './plan-build.js';

/** The `error:` line of a failed evaluation (Nix prints a trace above it with --show-trace only). */
function evaluationError(error: ToolError): string {
  const line = error.stderr.split('\n').find((l) => l.startsWith('error:'));
  return (line ?? error.message.split('\n')[0] ?? '').replace(/^error:\s*/, '');
}

export async function checkPackageAttributes(config: Config): Promise<ConfigProblem[]> {
  const problems: ConfigProblem[] = [];
  for (const pkg of config.packages) {
    const { request } = planBuild(pkg, 'profile', { logDir: config.stateDir, timeoutMs: 300_000, now: new Date() });
    try {
      await instantiate({ file: request.file, attrs: [request.attr], timeoutMs: request.timeoutMs });
    } catch (error) {
      if (!(error instanceof ToolError)) throw error;
      if (error.code === 'TOOL_MISSING') throw error;
      problems.push({
        path: `packages.${pkg.name}`,
        message: `${request.file} does not evaluate to ${request.attr}: ${evaluationError(error)}`,
        fix: `define ${pkg.attr} in ${request.file} through pgo.enableWith (see docs/config.md), or set packages.${pkg.name}.attr to its attribute path`,
      });
    }
  }
  return problems;
}
