/**
 * Paths of the spool's layout, the same on NixOS, home-manager and plain Nix:
 *
 *   <spool>/                      0755, the daemon's user
 *   <spool>/<fmt>/                1733: everybody may create an entry, nobody lists (format-dirs.ts)
 *   <spool>/<fmt>/<uid>/          one directory per user, owned by that user (its programs create it)
 *   <spool>/<fmt>/<uid>.XXXXXX/   that user's directory when <uid> was taken by someone else
 *
 * The writers' protocol is in nix/runtime/spool-dir.h and docs/harvest.md.
 */
import { join } from 'node:path';
import type { FORMAT_DIRS } from './format-dirs.js';

export type SpoolFormat = (typeof FORMAT_DIRS)[number];

/** The directory a user's programs write to when nobody took its name. */
export function userSpoolDir(spoolDir: string, format: SpoolFormat, uid: number): string {
  return join(spoolDir, format, String(uid));
}
