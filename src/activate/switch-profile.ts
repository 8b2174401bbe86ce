/**
 * One Nix profile holds the active variant of every managed package. A switch
 * writes a whole new generation (atomic symlink flip, old ones kept), so a
 * rollback is a generation switch.
 *
 * After each change the profile's active-variants file follows
 * (active-variants.ts).
 *
 * Two packages may ship a file of the same name (bin/hello). The profile then
 * links the one of the package whose name sorts first (JavaScript's default
 * order: by UTF-16 code unit, so "Hello" before "calc" before "hello"), the
 * rule the NixOS and home-manager modules' sorted config keeps too; the other
 * package's file stays in its store path.
 */
import { existsSync } from 'node:fs';
import { StateError } from '../errors/errors.js';
import { writeActiveVariants } from './active-variants.js';
import {
  listGenerations,
  queryElements,
  queryOutPaths,
  setProfileElements,
  switchGeneration,
  type Generation,
  type ProfileElement,
} from '../tools/nix-env.js';

/** The elements a generation should hold: sorted by package name, whose place is its priority (pure). */
export function planProfileContents(active: Record<string, string>): ProfileElement[] {
  // nix-env: a lower number is a higher priority; 0 is the highest.
  return Object.keys(active)
    .sort()
    .map((name, index) => ({ name, storePath: active[name]!, priority: index }));
}

/**
 * Makes `active` the profile's current generation and returns its number. A
 * profile that already holds exactly these packages and paths is left alone,
 * so repeating a switch (after a restart) never adds a generation.
 */
export async function switchProfile(profile: string, active: Record<string, string>): Promise<number> {
  const wanted = planProfileContents(active);
  // Names and paths: the same names in the same order give the same priorities.
  const key = (e: { name: string; storePath: string }) => `${e.name} ${e.storePath}`;
  if (!(existsSync(profile) && sameSet((await queryElements(profile)).map(key), wanted.map(key))))
    await setProfileElements(profile, wanted);
  await writeActiveVariants(profile);
  return currentGeneration(profile);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sortedB = [...b].sort();
  return a.length === b.length && [...a].sort().every((x, i) => x === sortedB[i]);
}

export async function currentGeneration(profile: string): Promise<number> {
  const current = (await listGenerations(profile)).find((g) => g.current);
  if (!current)
    throw new StateError('STATE', `the Nix profile ${profile} has no current generation`, {
      hints: [`see what it holds: nix-env -p ${profile} --list-generations`],
    });
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
  await writeActiveVariants(profile);
  return target;
}

export { queryOutPaths as profileContents };
