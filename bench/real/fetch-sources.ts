// Debian source trees for the benchmark, fetched with `apt-get source` into a
// cache directory outside the repository and reused on later runs.
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/process/run.js';
import type { SourceTree } from './real-programs.js';

const INSTALL_HINT =
  'run scripts/ensure-bench-deps.sh (as root) first: it adds a deb-src entry for the configured Debian mirror';

export function chooseSourceCache(): string {
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'nix-pgo', 'bench-src');
}

/** The unpacked tree of a source package in `dir` (`lua5.4-5.4.4` for `lua5.4`), if any. */
export function findSourceTree(dir: string, sourcePackage: string): SourceTree | null {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return null;
  }
  const prefix = `${sourcePackage}-`;
  const name = entries
    .filter((entry) => entry.startsWith(prefix) && /^\d/.test(entry.slice(prefix.length)))
    .filter((entry) => statSync(join(dir, entry)).isDirectory())
    .sort()
    .at(-1);
  return name ? { dir: join(dir, name), version: name.slice(prefix.length) } : null;
}

/** The source tree of a Debian source package, fetched unless the cache has it. */
export async function ensureSourceTree(
  cacheDir: string,
  sourcePackage: string,
  log: (line: string) => void,
): Promise<SourceTree> {
  const cached = findSourceTree(cacheDir, sourcePackage);
  if (cached) return cached;
  mkdirSync(cacheDir, { recursive: true });
  log(`fetching the Debian source package ${sourcePackage} into ${cacheDir}`);
  await run('apt-get', ['source', sourcePackage], { cwd: cacheDir, installHint: INSTALL_HINT, timeoutMs: 600_000 });
  const fetched = findSourceTree(cacheDir, sourcePackage);
  if (!fetched)
    throw new Error(`apt-get source ${sourcePackage} left no ${sourcePackage}-VERSION directory in ${cacheDir}`);
  return fetched;
}
