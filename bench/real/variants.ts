// The four variants the benchmark compares, in report order.
//
// PGO+BOLT goes here, after 'nix-pgo', as 'nix-pgo+bolt', for every program
// alike (lua, sqlite, emacs), once the library and the daemon build it (the
// library's enableWith { bolt = true; ... } variants, the daemon's BOLT
// training and switch): not yet. It will need its own ratio rows in
// bench-result.ts (speedup over nix-pgo), a build entry in bench-program.ts
// (marked there) and its training runs (BOLT's fdata files, not raw profiles).

export const VARIANT_NAMES = ['vanilla', 'instrumented', 'nix-pgo', 'by-hand'] as const;

export type VariantName = (typeof VARIANT_NAMES)[number];

/** A program ready to run: its binary and the environment it runs in. */
export interface Variant {
  name: VariantName;
  binary: string;
  /** The directory holding the binary and what it loads (store path or by-hand output). */
  root: string;
  env: NodeJS.ProcessEnv;
}
