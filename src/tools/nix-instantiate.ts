// Typed wrapper for `nix-instantiate`.
import { run } from '../process/run.js';
import { NIX_INSTALL_HINT } from './nix-common.js';

/** Evaluates a Nix expression strictly and returns its JSON value. */
export async function evalJson(expr: string): Promise<unknown> {
  const { stdout } = await run('nix-instantiate', ['--eval', '--strict', '--json', '--expr', expr], {
    installHint: NIX_INSTALL_HINT,
  });
  return JSON.parse(stdout) as unknown;
}
