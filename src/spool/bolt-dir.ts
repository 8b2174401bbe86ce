/**
 * The directory a BOLT-instrumented build writes its profiles to. BOLT's
 * runtime reads no variable, so the directory is baked into the build, and a
 * program whose directory is missing exits with status 1 (losing buffered
 * output). So the collector creates it before such a variant becomes active,
 * and again whenever it disappears (tmpfiles cleans /tmp). Mode 1733: every
 * user can create files by name, nobody but its owner can list it or remove
 * another user's file. Its parent must be the collector's or root's, or
 * another user could swap the directory for a symlink of their choosing.
 */
import { chmodSync, lstatSync, mkdirSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';

export const BOLT_DIR_MODE = 0o1733;

export function boltSpoolDir(spoolDir: string): string {
  return `${spoolDir.replace(/\/+$/, '')}/bolt`;
}

function tryLstat(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/** Why `st` (of `path`) cannot hold BOLT profiles safely, or null. Pure. */
export function boltDirProblem(
  path: string,
  st: Stats | null,
  owners: ReadonlySet<number>,
  role: 'directory' | 'parent',
): string | null {
  if (st === null) return `${path} does not exist`;
  if (st.isSymbolicLink()) return `${path} is a symlink`;
  if (!st.isDirectory()) return `${path} is not a directory`;
  if (!owners.has(st.uid)) return `${path} is owned by uid ${st.uid}, not by ${[...owners].join(' or ')}`;
  if (role === 'parent' && (st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0)
    return `${path} can be written by other users`;
  return null;
}

/**
 * Creates `dir` (mode 1733) and its parent (0755) if missing, repairs the mode of one we own, and
 * returns what is wrong in words with the fix, or null when programs can write there.
 */
export function ensureBoltDir(dir: string, uid: number): string | null {
  const owners = new Set([uid, 0]);
  const parent = dirname(dir);
  try {
    if (!tryLstat(parent)) mkdirSync(parent, { recursive: true, mode: 0o755 });
    const parentProblem = boltDirProblem(parent, tryLstat(parent), owners, 'parent');
    if (parentProblem)
      return `${parentProblem}; remove it, or import the nix-pgo library with a defaultProfileDir only you control`;
    if (!tryLstat(dir)) mkdirSync(dir, { mode: 0o700 });
    const st = tryLstat(dir);
    const problem = boltDirProblem(dir, st, owners, 'directory');
    if (problem) return `${problem}; remove it so nix-pgo can create it`;
    if ((st!.mode & 0o7777) !== BOLT_DIR_MODE) {
      if (st!.uid !== uid)
        return `${dir} has mode ${(st!.mode & 0o7777).toString(8)}, not ${BOLT_DIR_MODE.toString(8)}; run: chmod ${BOLT_DIR_MODE.toString(8)} ${dir}`;
      // Set after creating: the umask would have taken bits away from mkdir's mode.
      chmodSync(dir, BOLT_DIR_MODE);
    }
    return null;
  } catch (error) {
    return `cannot create ${dir}: ${(error as Error).message}`;
  }
}
