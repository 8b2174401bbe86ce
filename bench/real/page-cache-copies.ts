// Fresh page-cache copies of each variant's binary. Byte-identical copies of
// one binary run measurably faster or slower depending on where the kernel
// put the file's pages, so each variant is timed over several copies, each
// written, synced and dropped from the page cache, then read back by its
// first run; copy k of every variant is timed in the same round, so ratios
// pair copy by copy and placement luck averages out over the copies.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { evictFromPageCache } from './evict-page-cache.js';
import type { Variant } from './variants.js';

/** Copy `copy` of every variant's binary below `dir`, out of the page cache; the variants now run their copy. */
export async function makeFreshCopies(variants: readonly Variant[], dir: string, copy: number): Promise<Variant[]> {
  // A copy left by an interrupted run may still be running: start from an empty round.
  removeCopies(dir, copy);
  const copies: Variant[] = [];
  for (const variant of variants) {
    const target = join(dir, `copy-${copy}`, variant.name);
    mkdirSync(target, { recursive: true });
    // The binary's own name: some programs find their data by it (Emacs looks for NAME.pdmp beside itself first).
    const binary = join(target, basename(variant.binary));
    copyFileSync(variant.binary, binary);
    copies.push({ ...variant, binary });
  }
  await evictFromPageCache(copies.map((c) => c.binary));
  return copies;
}

/** Removes the copies of round `copy`. */
export function removeCopies(dir: string, copy: number): void {
  rmSync(join(dir, `copy-${copy}`), { recursive: true, force: true });
}
