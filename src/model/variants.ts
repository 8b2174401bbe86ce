/** The variants nix-pgo builds of a package, and the two stages they belong to. */

/** The PGO stage's two variants, then BOLT's (both built on the PGO-optimized one). */
export const VARIANTS = ['profile', 'optimized', 'bolt-profile', 'bolt-optimized'] as const;
export type Variant = (typeof VARIANTS)[number];

/** The stage a variant, an action or a build belongs to. */
export type Stage = 'pgo' | 'bolt';

export function stageOf(variant: Variant): Stage {
  return variant === 'bolt-profile' || variant === 'bolt-optimized' ? 'bolt' : 'pgo';
}

/** The collector's name for a package's BOLT data: `#` cannot be in a configured name, so it never names a package. */
export function boltDataName(name: string): string {
  return `${name}#bolt`;
}
