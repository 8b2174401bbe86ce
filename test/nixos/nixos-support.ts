// Helpers for the tests of the NixOS and home-manager modules: finding the
// nixpkgs lib the way a user's configuration would (<nixpkgs> on the Nix
// search path), and evaluating expressions against nix/tests/nixos-eval.nix.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/process/run.js';
import { ToolError } from '../../src/errors/errors.js';
import { repoRoot } from '../support/nix.js';

export const nixDir = join(repoRoot, 'nix');

/** `<nixpkgs>` as `nix-instantiate --find-file` finds it, if it has lib/; otherwise why not. */
export async function findNixpkgsLib(): Promise<{ path: string } | { missing: string }> {
  let path: string;
  try {
    path = (await run('nix-instantiate', ['--find-file', 'nixpkgs'])).stdout.trim();
  } catch (error) {
    if (error instanceof ToolError) {
      return {
        missing:
          'no <nixpkgs> on the Nix search path (NIX_PATH is unset or has no nixpkgs=…); run the tests with NIX_PATH=nixpkgs=PATH, PATH a nixpkgs checkout or its lib/ alone (nix-community/nixpkgs.lib)',
      };
    }
    throw error;
  }
  if (!existsSync(join(path, 'lib', 'default.nix'))) {
    return {
      missing: `<nixpkgs> is ${path}, which has no lib/default.nix; point nixpkgs= in NIX_PATH at a nixpkgs checkout or its lib/ alone`,
    };
  }
  return { path };
}

/** An expression that evaluates the module test harness (nix/tests/nixos-eval.nix). */
export function harness(options: { repo?: boolean } = {}): string {
  const args = options.repo ? `{ repo = ${JSON.stringify(repoRoot)}; }` : '{ }';
  return `(import ${JSON.stringify(join(nixDir, 'tests/nixos-eval.nix'))} ${args})`;
}

/** `nix-instantiate --eval --strict --json -E expr`, parsed. */
export async function evalJson<T>(expr: string, extraArgs: string[] = []): Promise<T> {
  const { stdout } = await run('nix-instantiate', ['--eval', '--strict', '--json', ...extraArgs, '-E', expr], {
    timeoutMs: 300_000,
  });
  return JSON.parse(stdout) as T;
}

/** Evaluates an expression that must fail and returns its stderr. */
export async function evalFailure(expr: string): Promise<string> {
  try {
    const { stdout } = await run('nix-instantiate', ['--eval', '--strict', '--json', '-E', expr], {
      timeoutMs: 300_000,
    });
    throw new Error(`${expr} evaluated to ${stdout} but should have failed`);
  } catch (error) {
    if (error instanceof ToolError) return error.stderr;
    throw error;
  }
}

export interface NixTestResult {
  total: number;
  failures: { name: string; expr: unknown; expected: unknown }[];
}
