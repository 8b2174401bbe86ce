// Typed wrapper for `nix-env -p PROFILE`: atomic switches that keep generations.
import { run } from '../process/run.js';
import { NIX_INSTALL_HINT, nixString } from './nix-common.js';

async function nixEnv(profile: string, args: string[]): Promise<string> {
  const { stdout } = await run('nix-env', ['-p', profile, ...args], { installHint: NIX_INSTALL_HINT });
  return stdout;
}

/** One element of a profile: a store path under a name, with its `meta.priority` (lower wins a file both ship). */
export interface ProfileElement {
  name: string;
  storePath: string;
  priority: number;
}

/**
 * The expression `nix-env -E` installs (pure): one element per store path,
 * named and with its priority, as `nix-env -i STOREPATH` would make it
 * otherwise. `builtins.storePath` gives each path its context, so the user
 * environment refers to it and keeps it alive.
 */
export function profileExpression(elements: readonly ProfileElement[]): string {
  const data = nixString(JSON.stringify(elements));
  return [
    '_: map (e: let path = builtins.storePath e.storePath; in {',
    '  type = "derivation"; name = e.name; outPath = path; out = { outPath = path; }; outputs = [ "out" ];',
    '  meta.priority = e.priority;',
    `}) (builtins.fromJSON ${data})`,
  ].join('\n');
}

/**
 * Makes a new generation holding exactly `elements` (`-i -r`: install these,
 * remove the rest), one atomic symlink switch. Where two ship the same file
 * (bin/hello), the one with the lower priority number is linked; equal
 * priorities would make the switch fail.
 */
export async function setProfileElements(profile: string, elements: readonly ProfileElement[]): Promise<void> {
  await nixEnv(profile, ['--install', '--remove-all', '--from-expression', profileExpression(elements)]);
}

export interface Generation {
  number: number;
  date: string;
  current: boolean;
}

/** Parses `nix-env --list-generations` output (pure). */
function parseGenerations(text: string): Generation[] {
  return text
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\S+\s+\S+)\s*(\(current\))?\s*$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ number: Number(m[1]), date: m[2]!, current: m[3] !== undefined }));
}

export async function listGenerations(profile: string): Promise<Generation[]> {
  return parseGenerations(await nixEnv(profile, ['--list-generations']));
}

export async function switchGeneration(profile: string, generation: number): Promise<void> {
  await nixEnv(profile, ['--switch-generation', String(generation)]);
}

/** Parses `nix-env --query --out-path` output: one `NAME  STOREPATH` per element (pure). */
function parseElements(text: string): { name: string; storePath: string }[] {
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((words) => words.length >= 2 && words.at(-1)!.startsWith('/'))
    .map((words) => ({ name: words[0]!, storePath: words.at(-1)! }));
}

/** The elements of the current generation: each one's name and store path. */
export async function queryElements(profile: string): Promise<{ name: string; storePath: string }[]> {
  return parseElements(await nixEnv(profile, ['--query', '--out-path']));
}

/** The store paths of the current generation. */
export async function queryOutPaths(profile: string): Promise<string[]> {
  return (await queryElements(profile)).map((e) => e.storePath);
}

/** Deletes all but the newest `keep` generations (the current one is always kept). */
export async function deleteOldGenerations(profile: string, keep: number): Promise<void> {
  await nixEnv(profile, ['--delete-generations', `+${keep}`]);
}
