// Typed wrapper for `nix-env -p PROFILE`: atomic switches that keep generations.
import { run } from '../process/run.js';
import { NIX_INSTALL_HINT } from './nix-common.js';

async function nixEnv(profile: string, args: string[]): Promise<string> {
  const { stdout } = await run('nix-env', ['-p', profile, ...args], { installHint: NIX_INSTALL_HINT });
  return stdout;
}

/**
 * Makes a new generation holding exactly `storePaths` (`-i -r`: install these,
 * remove the rest), one atomic symlink switch.
 */
export async function setProfilePaths(profile: string, storePaths: readonly string[]): Promise<void> {
  await nixEnv(profile, ['--install', '--remove-all', ...storePaths]);
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

/** The store paths of the current generation. */
export async function queryOutPaths(profile: string): Promise<string[]> {
  const text = await nixEnv(profile, ['--query', '--out-path']);
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/).at(-1) ?? '')
    .filter((p) => p.startsWith('/'));
}

/** Deletes all but the newest `keep` generations (the current one is always kept). */
export async function deleteOldGenerations(profile: string, keep: number): Promise<void> {
  await nixEnv(profile, ['--delete-generations', `+${keep}`]);
}
