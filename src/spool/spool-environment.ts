/**
 * The environment variables that send an instrumented program's profiles to
 * its user's part of the spool. GCOV_PREFIX_STRIP is 0: a GCC file lands under
 * the whole directory its build baked in, so the collector attributes it by
 * the manifest's `gcdaDir`, whatever the library's `defaultProfileDir` was.
 */
import { join } from 'node:path';

/** The variables the profile runtimes read; tools nix-pgo runs must not inherit them. */
export const PROFILE_VARIABLES = ['LLVM_PROFILE_FILE', 'GCOV_PREFIX', 'GCOV_PREFIX_STRIP'] as const;

export function userSpoolDir(spoolDir: string, uid: number): string {
  return join(spoolDir, String(uid));
}

/** `%m` turns on the LLVM runtime's online merging: one file per binary instead of one per run. */
export function spoolEnvironment(spoolDir: string, uid: number): Record<(typeof PROFILE_VARIABLES)[number], string> {
  const userDir = userSpoolDir(spoolDir, uid);
  return {
    LLVM_PROFILE_FILE: join(userDir, 'llvm', '%m.profraw'),
    GCOV_PREFIX: join(userDir, 'gcda'),
    GCOV_PREFIX_STRIP: '0',
  };
}
