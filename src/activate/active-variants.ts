/**
 * Beside each Nix profile nix-pgo switches, a small file names the variant
 * every package has active there (`PROFILE.variants.json`). On NixOS it is
 * half of the daemon's proposal (the lock file is the other half): root's
 * activation reads it to know which of root's own builds to put on PATH,
 * the BOLT-instrumented variant included, which the lock cannot say.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../durable/durable-file.js';
import { manifestPathOf } from '../formats/manifest.js';
import { VARIANTS, type Variant } from '../model/variants.js';
import { queryElements } from '../tools/nix-env.js';

export interface ActiveVariants {
  version: 1;
  /** Package name → the variant of its element in the profile's current generation. */
  variants: Record<string, Variant>;
}

export function activeVariantsFile(profile: string): string {
  return `${profile}.variants.json`;
}

/** The file's text (pure): names sorted, so an unchanged set writes the same bytes. */
export function renderActiveVariants(variants: Record<string, Variant>): string {
  const sorted = Object.fromEntries(Object.entries(variants).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return `${JSON.stringify({ version: 1, variants: sorted } satisfies ActiveVariants, null, 2)}\n`;
}

/** The variant a build says it is (`kind` of its manifest), or null when it has none nix-pgo knows. */
function variantOf(storePath: string): Variant | null {
  const manifest = manifestPathOf(storePath);
  if (!existsSync(manifest)) return null;
  try {
    const kind = (JSON.parse(readFileSync(manifest, 'utf8')) as { kind?: unknown }).kind;
    return VARIANTS.find((v) => v === kind) ?? null;
  } catch {
    return null;
  }
}

/** Rewrites the file from the profile's current generation. */
export async function writeActiveVariants(profile: string): Promise<void> {
  const variants: Record<string, Variant> = {};
  for (const element of existsSync(profile) ? await queryElements(profile) : []) {
    const variant = variantOf(element.storePath);
    if (variant !== null) variants[element.name] = variant;
  }
  const file = activeVariantsFile(profile);
  const text = renderActiveVariants(variants);
  // Unchanged content is not rewritten: root's activation starts on every change of the file.
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return;
  writeFileAtomic(file, text);
}
