// Checks that hold for every program: no variant's output carries a raw
// profile, and no profile of the instrumented variant landed in the default
// profile directory (builds run instrumented programs: Emacs dumps itself and
// byte-compiles with what it just built; the library keeps what they write
// inside the build).
import { existsSync, readdirSync, readFileSync, type Stats, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseRawProfile } from '../../src/formats/raw-profile.js';
import type { Check } from './program-spec.js';

function walk(root: string): string[] {
  if (!existsSync(root)) return [];
  if (statSync(root).isFile()) return [root];
  return (readdirSync(root, { recursive: true }) as string[]).map((entry) => join(root, entry));
}

/** Raw profiles (`*.profraw`, e.g. the `default_*.profraw` plain -fprofile-generate writes into the working directory) below the roots. */
export function findRawProfiles(roots: readonly string[]): string[] {
  return roots.flatMap(walk).filter((path) => path.endsWith('.profraw'));
}

export function checkNoRawProfilesInOutputs(variants: readonly { name: string; root: string }[]): Check {
  const found = findRawProfiles(variants.map((v) => v.root));
  return {
    name: 'no variant carries a raw profile in its output',
    ok: found.length === 0,
    detail: found.length === 0 ? `none below ${variants.length} outputs` : `found: ${found.join(', ')}`,
  };
}

/** The build IDs of a raw profile file (every profile it holds), or null when it is not one. */
export function rawProfileBuildIds(bytes: Buffer): string[] | null {
  const parsed = parseRawProfile(bytes);
  if (parsed.segments.length === 0) return null;
  return parsed.segments.flatMap((s) => s.binaryIds);
}

/**
 * Raw profiles written since `sinceMs` below `dir` (the default profile directory the
 * instrumented variant bakes in) that carry one of `buildIds`.
 */
export function findProfilesOf(dir: string, buildIds: ReadonlySet<string>, sinceMs: number): string[] {
  return walk(dir).filter((path) => {
    let st: Stats;
    try {
      st = statSync(path);
    } catch {
      return false;
    }
    if (!st.isFile() || st.size === 0 || st.mtimeMs < sinceMs || !path.endsWith('.profraw')) return false;
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      return false; // another user's file: not ours to read
    }
    return (rawProfileBuildIds(bytes) ?? []).some((id) => buildIds.has(id.toLowerCase()));
  });
}

export function checkDefaultDirUntouched(
  defaultProfileDir: string,
  buildIds: readonly string[],
  sinceMs: number,
): Check {
  const found = findProfilesOf(defaultProfileDir, new Set(buildIds.map((id) => id.toLowerCase())), sinceMs);
  return {
    name: 'nothing of the instrumented variant reached the default profile directory',
    ok: found.length === 0,
    detail:
      found.length === 0
        ? `no raw profile with its build IDs in ${defaultProfileDir} since the benchmark started`
        : `found: ${found.join(', ')}`,
  };
}
