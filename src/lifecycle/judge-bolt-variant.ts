/**
 * Whether a freshly built BOLT-instrumented variant may become active (pure):
 * one that instrumented none of its files would collect nothing, while it
 * replaced the PGO-optimized variant.
 */
import type { BoltFileOutcome, ProfileManifest } from '../formats/manifest.js';

/** Why the variant must not become active, or null; `outcomes` say why each file was left as PGO built it. */
export function judgeBoltVariant(manifest: ProfileManifest, outcomes: readonly BoltFileOutcome[]): string | null {
  if (manifest.binaries.length > 0) return null;
  const reasons = outcomes.map((b) => `${b.path}: ${b.reason ?? 'no reason given'}`);
  return `BOLT instrumented none of its files${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''}`;
}
