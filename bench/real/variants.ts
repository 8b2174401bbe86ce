// The four variants the benchmark compares, in report order.

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
