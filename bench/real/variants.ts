// The variants the benchmark compares, in report order: six for every
// program, and the two BOLT variants for programs built with BOLT.

/**
 * vanilla, the instrumented build, nix-pgo and by-hand (both trained on the training workloads), real-use
 * (by hand, trained on other inputs of the measuring workloads' kind) and oracle (by hand, trained on the
 * measuring workloads themselves: the most a profile can give).
 */
export const CORE_VARIANT_NAMES = ['vanilla', 'instrumented', 'nix-pgo', 'by-hand', 'real-use', 'oracle'] as const;
/** BOLT after PGO, through the daemon: the BOLT-instrumented build (what users run while it profiles) and the BOLT-optimized one. */
export const BOLT_VARIANT_NAMES = ['bolt-instrumented', 'nix-pgo+bolt'] as const;
export const VARIANT_NAMES = [...CORE_VARIANT_NAMES, ...BOLT_VARIANT_NAMES] as const;

export type CoreVariantName = (typeof CORE_VARIANT_NAMES)[number];
export type BoltVariantName = (typeof BOLT_VARIANT_NAMES)[number];
export type VariantName = (typeof VARIANT_NAMES)[number];

/** One value per variant: always the four core ones, the BOLT ones when the program has them. */
export type PerVariant<T> = Record<CoreVariantName, T> & Partial<Record<BoltVariantName, T>>;

/** The variants a result has, in report order. */
export function presentVariants(values: Partial<Record<VariantName, unknown>>): VariantName[] {
  return VARIANT_NAMES.filter((name) => values[name] !== undefined);
}

/** A program ready to run: its binary and the environment it runs in. */
export interface Variant {
  name: VariantName;
  binary: string;
  /** The directory holding the binary and what it loads (store path or by-hand output). */
  root: string;
  env: NodeJS.ProcessEnv;
}
