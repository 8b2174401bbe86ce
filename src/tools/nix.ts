// Typed wrapper for `nix` (the newer command line, an experimental feature in Nix 2.8): copying store paths to and
// from binary caches, and what a store knows of a path.
import { run } from '../process/run.js';
import { NIX_INSTALL_HINT } from './nix-common.js';

/** Options every call passes: the command enabled, a cache that answers "not there" asked again (not remembered for an hour). */
const COMMON = [
  '--extra-experimental-features',
  'nix-command',
  '--option',
  'narinfo-cache-negative-ttl',
  '0',
  '--option',
  'connect-timeout',
  '10',
];

async function nix(args: string[], options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<string> {
  const { stdout } = await run('nix', [...COMMON, ...args], { installHint: NIX_INSTALL_HINT, ...options });
  return stdout;
}

/**
 * A binary cache's store URL with the key Nix signs what it writes there with (`?secret-key=`, or `&` after a
 * query the URL has).
 */
export function signingStoreUrl(cache: string, secretKeyFile: string): string {
  return `${cache}${cache.includes('?') ? '&' : '?'}secret-key=${secretKeyFile}`;
}

/** Copies `paths` with their closures to a store (a binary cache: signed there when its URL names a secret key). */
export async function copyTo(
  store: string,
  paths: readonly string[],
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  if (paths.length === 0) return;
  await nix(['copy', '--to', store, ...paths], options);
}

/**
 * Copies `paths` from a store into the local one. Nix checks each NAR against its hash; it asks for no signature
 * of a content-addressed path (callers check those: src/formats/nix-signature.ts).
 */
export async function copyFrom(
  store: string,
  paths: readonly string[],
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  if (paths.length === 0) return;
  await nix(['copy', '--from', store, ...paths], options);
}

/** What a store knows of a path: null when it does not have it. */
export interface StorePathInfo {
  path: string;
  narHash: string;
  narSize: number;
  references: string[];
  signatures: string[];
  /** `fixed:…` for a content-addressed path, absent for an input-addressed one. */
  ca?: string;
}

/** Each path's info in `store` (the local store without one), in the order asked; null for a path it lacks. */
export async function queryPathInfo(
  paths: readonly string[],
  options: { store?: string; timeoutMs?: number } = {},
): Promise<(StorePathInfo | null)[]> {
  if (paths.length === 0) return [];
  const stdout = await nix(
    ['path-info', '--json', ...(options.store ? ['--store', options.store] : []), ...paths],
    options,
  );
  const entries = JSON.parse(stdout) as (Partial<StorePathInfo> & { path: string; valid?: boolean })[];
  const byPath = new Map(entries.map((e) => [e.path, e]));
  return paths.map((path) => {
    const e = byPath.get(path);
    if (!e || e.valid === false || typeof e.narHash !== 'string') return null;
    return {
      path,
      narHash: e.narHash,
      narSize: e.narSize ?? 0,
      references: e.references ?? [],
      signatures: e.signatures ?? [],
      ...(e.ca ? { ca: e.ca } : {}),
    };
  });
}
