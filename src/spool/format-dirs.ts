/**
 * The spool's `<fmt>/` directories (`llvm/`, `gcda/`, `bolt/`), which the
 * collector creates when they are missing: mode 1733, so every user can
 * create their own `<fmt>/<uid>` directory in them but nobody can list them,
 * or rename or remove another user's entry. A directory that exists is left
 * as it is (the NixOS module creates them with an ACL for the daemon), and so
 * is one the collector may not create (a spool root of another owner): the
 * scan reports what is wrong there.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const FORMAT_DIRS = ['llvm', 'gcda', 'bolt'] as const;
export const FORMAT_DIR_MODE = 0o1733;

export function ensureFormatDirs(spoolDir: string): void {
  for (const name of FORMAT_DIRS) {
    const dir = join(spoolDir, name);
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch {
      continue;
    }
    // Set after creating: the umask would have taken bits away from mkdir's mode.
    chmodSync(dir, FORMAT_DIR_MODE);
  }
}
