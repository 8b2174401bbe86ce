// Where the Nix library lives next to the compiled code, for expressions the daemon passes to nix-build.
import { fileURLToPath } from 'node:url';

/** `<package root>/nix`, from `dist/src/build/nix-dir.js`. */
export const NIX_DIR = fileURLToPath(new URL('../../../nix', import.meta.url));
