/**
 * Every profile format, by the toolchain whose programs write it. A new
 * format is one module beside these (see profile-format.ts) and its entry
 * here; the type makes every toolchain of the manifest have one.
 */
import type { Toolchain } from '../formats/manifest.js';
import { boltFormat } from './bolt-format.js';
import { clangFormat } from './clang-format.js';
import { gccFormat } from './gcc-format.js';
import type { ProfileFormat } from './profile-format.js';

const FORMATS: Readonly<Record<Toolchain, ProfileFormat>> = { clang: clangFormat, gcc: gccFormat, bolt: boltFormat };

export function profileFormat(toolchain: Toolchain): ProfileFormat {
  return FORMATS[toolchain];
}

/** Every format, for what looks at outputs of all of them (recovery). */
export const PROFILE_FORMATS: readonly ProfileFormat[] = Object.values(FORMATS);
