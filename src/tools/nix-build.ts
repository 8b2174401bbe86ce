// Typed wrapper for `nix-build`.
import { run } from '../process/run.js';
import { NIX_INSTALL_HINT, substituterOptions } from './nix-common.js';

export interface NixBuildRequest {
  /** The Nix file to evaluate. */
  file: string;
  /** Attribute path inside it, e.g. `calc.pgo.optimized`. */
  attr: string;
  /** `--arg NAME EXPR` pairs (Nix expressions, not strings). */
  args?: Record<string, string>;
  /** Out-link to create; without one, `--no-out-link`. */
  outLink?: string;
  timeoutMs?: number;
  useSubstitutes?: boolean;
  /** Receives the build log as it is written. */
  onLog?: (chunk: string) => void;
}

export interface NixBuildResult {
  storePath: string;
  log: string;
}

/** Builds one attribute; the ToolError on failure carries the whole log in `stderr`. */
export async function nixBuild(request: NixBuildRequest): Promise<NixBuildResult> {
  const args = [
    ...substituterOptions(request.useSubstitutes ?? false),
    request.file,
    '-A',
    request.attr,
    ...Object.entries(request.args ?? {}).flatMap(([name, expr]) => ['--arg', name, expr]),
    ...(request.outLink ? ['-o', request.outLink] : ['--no-out-link']),
  ];
  const { stdout, stderr } = await run('nix-build', args, {
    timeoutMs: request.timeoutMs,
    installHint: NIX_INSTALL_HINT,
    onStderr: request.onLog,
  });
  const storePath = stdout.trim().split('\n').at(-1) ?? '';
  return { storePath, log: stderr };
}

/** A binary cache to substitute from, and the keys whose signatures Nix accepts on what it copies from there. */
export interface SubstituteFrom {
  url: string;
  publicKeys: readonly string[];
  /** Build nothing here (`--max-jobs 0`): what the cache lacks fails the build. */
  only?: boolean;
}

/** The options that make Nix substitute from one cache only, asking it again for what it lacked before. */
function substituteOptions(from: SubstituteFrom): string[] {
  return [
    '--option',
    'substituters',
    from.url,
    '--option',
    'trusted-public-keys',
    from.publicKeys.join(' '),
    '--option',
    'narinfo-cache-negative-ttl',
    '0',
    ...(from.only ? ['--max-jobs', '0'] : []),
  ];
}

/** Builds a store derivation nix-instantiate wrote, without evaluating anything again; returns every output path it prints. */
export async function buildDerivation(
  drvPath: string,
  options: {
    timeoutMs?: number;
    onLog?: (chunk: string) => void;
    signal?: AbortSignal;
    useSubstitutes?: boolean;
    substituteFrom?: SubstituteFrom;
  } = {},
): Promise<{ outputs: string[] }> {
  const substitutes = options.substituteFrom
    ? substituteOptions(options.substituteFrom)
    : substituterOptions(options.useSubstitutes ?? false);
  const { stdout } = await run('nix-build', [...substitutes, drvPath, '--no-out-link'], {
    timeoutMs: options.timeoutMs,
    installHint: NIX_INSTALL_HINT,
    onStderr: options.onLog,
    signal: options.signal,
  });
  return {
    outputs: stdout
      .trim()
      .split('\n')
      .filter((line) => line !== ''),
  };
}
