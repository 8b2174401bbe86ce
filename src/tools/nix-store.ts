// Typed wrapper for `nix-store`.
import { ToolError } from '../errors/errors.js';
import { run } from '../process/run.js';
import { NIX_INSTALL_HINT } from './nix-common.js';

async function nixStore(args: string[]): Promise<string> {
  const { stdout } = await run('nix-store', args, { installHint: NIX_INSTALL_HINT });
  return stdout.trim();
}

/**
 * Adds a file (flat hash) or a directory (recursive NAR hash) to the store as a
 * content-addressed path, the same path a fixed-output derivation of that hash
 * and name has, so a pure expression can name it again.
 */
export function addFixed(path: string, options: { recursive: boolean }): Promise<string> {
  return nixStore(['--add-fixed', ...(options.recursive ? ['--recursive'] : []), 'sha256', path]);
}

/** Registers `link` as a GC root for `storePath` (the link is a symlink to it). */
export function addRoot(storePath: string, link: string): Promise<string> {
  return nixStore(['--realise', storePath, '--add-root', link, '--indirect']);
}

/** The NAR hash of a store path, as `sha256:<base32>`. */
export function queryNarHash(storePath: string): Promise<string> {
  return nixStore(['--query', '--hash', storePath]);
}

/** The store path Nix gives content of this hash under this name (`--print-fixed-path`): computed, nothing is read. */
export function printFixedPath(options: { recursive: boolean; hash: string; name: string }): Promise<string> {
  const [algo, digest] = options.hash.split(':', 2) as [string, string];
  return nixStore(['--print-fixed-path', ...(options.recursive ? ['--recursive'] : []), algo, digest, options.name]);
}

/** Whether the store has this path, valid (registered whole): `--check-validity` exits 1 otherwise. */
export async function isValidPath(storePath: string): Promise<boolean> {
  try {
    await nixStore(['--check-validity', storePath]);
    return true;
  } catch (error) {
    if (error instanceof ToolError && /is not valid/.test(error.stderr)) return false;
    throw error;
  }
}
