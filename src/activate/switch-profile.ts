/**
 * One Nix profile holds the active variant of every managed package. A switch
 * writes a whole new generation (atomic symlink flip, old ones kept), so a
 * rollback is a generation switch.
 */
import { existsSync } from 'node:fs';
import { listGenerations, queryOutPaths, setProfilePaths, switchGeneration, type Generation } from '../tools/nix-env.js';

/** The store paths a generation should hold, in a stable order (pure). */
function planProfileContents(active: Record<string, string>): string[] {
  return Object.keys(active)
    .sort()
    .map((name) => active[name]!);
}

/**
 * Makes `active` the profile's current generation and returns its number. A
 * profile that already holds exactly these paths is left alone, so repeating a
 * switch (after a restart) never adds a generation.
 */
export async function switchProfile(profile: string, active: Record<string, string>): Promise<number> {
  const wanted = planProfileContents(active);
  if (existsSync(profile) && sameSet(await queryOutPaths(profile), wanted)) return currentGeneration(profile);
  await setProfilePaths(profile, wanted);
  return currentGeneration(profile);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sortedB = [...b].sort();
  return a.length === b.length && [...a].sort().every((x, i) => x === sortedB[i]);
}

export async function currentGeneration(profile: string): Promise<number> {
  const current = (await listGenerations(profile)).find((g) => g.current);
  if (!current) throw new Error(`${profile}: no current generation`);
  return current.number;
}

/** The generation before the current one, or null (pure). */
function previousGeneration(generations: readonly Generation[]): number | null {
  const current = generations.find((g) => g.current);
  if (!current) return null;
  const older = generations.filter((g) => g.number < current.number).map((g) => g.number);
  return older.length > 0 ? Math.max(...older) : null;
}

/** Switches the whole profile back one generation; returns the new current one, or null when there is none before. */
export async function rollbackProfile(profile: string): Promise<number | null> {
  const target = previousGeneration(existsSync(profile) ? await listGenerations(profile) : []);
  if (target === null) return null;
  await switchGeneration(profile, target);
  return target;
}

export { queryOutPaths as profileContents };
