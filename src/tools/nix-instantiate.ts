// Typed wrapper for `nix-instantiate`.
import { run } from '../process/run.js';
import { NIX_INSTALL_HINT, substituterOptions } from './nix-common.js';

/** Evaluates a Nix expression strictly and returns its JSON value. */
export async function evalJson(expr: string): Promise<unknown> {
  const { stdout } = await run('nix-instantiate', ['--eval', '--strict', '--json', '--expr', expr], {
    installHint: NIX_INSTALL_HINT,
  });
  return JSON.parse(stdout) as unknown;
}

export interface InstantiateRequest {
  /** The Nix file to evaluate. */
  file: string;
  /** Attribute paths inside it; all are evaluated in one evaluation of the file. */
  attrs: readonly string[];
  /** `--arg NAME EXPR` pairs (Nix expressions, not strings). */
  args?: Record<string, string>;
  timeoutMs?: number;
  /** Receives what the evaluation prints (warnings, traces) as it is written. */
  onLog?: (chunk: string) => void;
  signal?: AbortSignal;
}

/**
 * The store derivations (`.drv`) of attributes of a Nix file, in the order asked, without building
 * anything: one evaluation, whose cost is what `nix-build` pays before it builds.
 */
export async function instantiate(request: InstantiateRequest): Promise<string[]> {
  const args = [
    ...substituterOptions(false),
    request.file,
    ...request.attrs.flatMap((attr) => ['-A', attr]),
    ...Object.entries(request.args ?? {}).flatMap(([name, expr]) => ['--arg', name, expr]),
  ];
  const { stdout } = await run('nix-instantiate', args, {
    timeoutMs: request.timeoutMs,
    installHint: NIX_INSTALL_HINT,
    onStderr: request.onLog,
    signal: request.signal,
  });
  // An output other than `out` is printed as `DRV!OUTPUT`.
  return stdout
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.replace(/!.*$/, ''));
}
