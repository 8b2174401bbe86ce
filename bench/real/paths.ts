// Where the benchmark's own files are, from the compiled module's location.
import { resolve } from 'node:path';

/** The repository root (this file runs from dist/bench/real/). */
export const repoRoot = resolve(import.meta.dirname, '../../..');

/** bench/real in the source tree: the Nix file, build scripts and workloads. */
export const benchRoot = resolve(repoRoot, 'bench', 'real');
