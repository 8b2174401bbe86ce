/**
 * POSIX record locks through the small addon in native/ (built by node-gyp on
 * `npm ci`). Locks belong to the process and vanish when the process closes ANY
 * descriptor of the file, so callers keep exactly one descriptor per file.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ToolError } from '../errors/errors.js';

interface RecordLockAddon {
  tryLockWrite(fd: number): boolean;
  lockWriteWait(fd: number): boolean;
  unlock(fd: number): boolean;
  lockHolder(fd: number): number;
  syncFs(fd: number): boolean;
  flockTryExclusive(fd: number): boolean;
  flockRelease(fd: number): boolean;
}

const ADDON_RELATIVE = join('build', 'Release', 'record_lock.node');

function findAddon(): string {
  // Walk up from this file because it runs both from src/ (tsc output in dist/src/) and from an installed package.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, ADDON_RELATIVE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new ToolError('TOOL_MISSING', 'record_lock.node', 'the record-lock addon is not built', {
    hints: ['run `npm ci` (or `npx node-gyp rebuild`) in the nix-pgo directory; it needs a C compiler and make'],
  });
}

let addon: RecordLockAddon | undefined;

function load(): RecordLockAddon {
  addon ??= createRequire(import.meta.url)(findAddon()) as RecordLockAddon;
  return addon;
}

/** Takes a write lock on the whole file without waiting; false when another process holds one. */
export function tryLockWrite(fd: number): boolean {
  return load().tryLockWrite(fd);
}

export function unlockFile(fd: number): void {
  load().unlock(fd);
}

/** The pid holding a lock that conflicts with a write lock, 0 when none, -1 when held by a process not visible here. */
export function lockHolder(fd: number): number {
  return load().lockHolder(fd);
}

/** Flushes the whole file system holding fd: one call per harvest batch instead of one fsync per file. */
export function syncFileSystem(fd: number): void {
  load().syncFs(fd);
}

/** Waits for the write lock with short sleeps so the event loop stays free; false after timeoutMs. */
export async function lockWrite(fd: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  while (!tryLockWrite(fd)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 50);
  }
  return true;
}

/**
 * Takes an exclusive flock without waiting and keeps it until releaseFlock: false when another open file description
 * holds one (a live profile's programs each hold a shared one for their whole life). Independent of record locks.
 */
export function tryFlockExclusive(fd: number): boolean {
  return load().flockTryExclusive(fd);
}

export function releaseFlock(fd: number): void {
  load().flockRelease(fd);
}
