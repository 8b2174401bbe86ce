/**
 * Checks a merged profile before it is committed, and a stored one before it
 * is merged into: an empty or unreadable merge must never become a generation,
 * and a broken stored one must not make every later merge fail.
 */
import type { Toolchain } from '../formats/manifest.js';
import { profileFormat } from './profile-formats.js';

/** A problem in words, or null when the profile is whole. */
export function checkMergedProfile(toolchain: Toolchain, path: string): string | null {
  try {
    return profileFormat(toolchain).check(path);
  } catch (error) {
    return `${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
  }
}
