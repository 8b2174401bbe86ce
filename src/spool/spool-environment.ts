/**
 * The environment variables that send an instrumented program's profiles into
 * the spool. Raw profiles go to one directory for everybody, one file per
 * process and binary (`%p-%m`); their owner says whose they are. GCC files go
 * below the user's own directory, under the whole path their build baked in
 * (GCOV_PREFIX_STRIP=0), so the collector attributes them by the manifest's
 * `gcdaDir` whatever the library's `defaultProfileDir` was.
 */
import { join } from 'node:path';

export function llvmSpoolDir(spoolDir: string): string {
  return join(spoolDir, 'llvm');
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
    LLVM_PROFILE_FILE: join(llvmSpoolDir(spoolDir), '%p-%m.profraw'),
    GCOV_PREFIX: gcdaSpoolDir(spoolDir, uid),
    GCOV_PREFIX_STRIP: '0',
  };
}
