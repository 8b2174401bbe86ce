/**
 * The environment variables that send an instrumented program's profiles into
 * the spool (layout v2): every format below the user's own directory
 * `<fmt>/<uid>`, which the user's programs create and own and no other user
 * can create first. Raw profiles are one file per process and binary
 * (`%p-%m`). GCC files go under the whole path their build baked in
 * (GCOV_PREFIX_STRIP=0), so the collector attributes them by the manifest's
 * `gcdaDir` whatever the library's `defaultProfileDir` was.
 */
import { join } from 'node:path';

export function llvmSpoolDir(spoolDir: string, uid?: number): string {
  return uid === undefined ? join(spoolDir, 'llvm') : join(spoolDir, 'llvm', String(uid));
}

export function gcdaSpoolDir(spoolDir: string, uid: number): string {
  return join(spoolDir, 'gcda', String(uid));
}

/**
 * `%p` gives every process its own file, so each run's value profiles (indirect-call targets,
 * recorded as addresses) are read against that run's own addresses; `%m` keeps an executable
 * and its shared libraries in separate files, and merges rather than overwrites when a pid is reused.
 */
export function spoolEnvironment(
  spoolDir: string,
  uid: number,
): { LLVM_PROFILE_FILE: string; GCOV_PREFIX: string; GCOV_PREFIX_STRIP: string } {
  return {
    LLVM_PROFILE_FILE: join(llvmSpoolDir(spoolDir, uid), '%p-%m.profraw'),
    GCOV_PREFIX: gcdaSpoolDir(spoolDir, uid),
    GCOV_PREFIX_STRIP: '0',
  };
}
