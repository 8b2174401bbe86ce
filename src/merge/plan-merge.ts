/**
 * Pure planning of one package's merge: when to merge, what its outputs are
 * named, how much of each contributor goes into the package's profile.
 */
import type { Toolchain } from '../formats/manifest.js';
import { PROFILE_FORMATS, profileFormat } from './profile-formats.js';

// Pure parts of two formats' merges, named here too with the rest of the merge's planning.
export { countOverlap } from './count-overlap.js';
export { planGcdaLayers } from './gcc-format.js';

/**
 * Packages that got inputs in the previous harvest batch but none in this one: spool files come
 * grouped by name, so these are likely complete for this pass and can merge while harvesting goes on.
 */
export function packagesToMergeEarly(previousBatch: ReadonlySet<string>, thisBatch: ReadonlySet<string>): string[] {
  return [...previousBatch].filter((name) => !thisBatch.has(name));
}

/** Name of a generation's output, so a crash leaves outputs that recovery can match to the db. */
export function generationName(generation: number, toolchain: Toolchain): string {
  return `gen-${generation}.${profileFormat(toolchain).suffix}`;
}

const SUFFIXES: ReadonlySet<string> = new Set(PROFILE_FORMATS.map((f) => f.suffix));

/** The generation a name made by generationName stands for, or null for any other name. */
export function parseGenerationName(name: string): number | null {
  const match = /^gen-(\d+)\.(.+)$/.exec(name);
  return match && SUFFIXES.has(match[2]!) ? Number(match[1]) : null;
}

/** Directory name for a package's merged profiles: package names are free text, paths are not. */
export function packageDirName(name: string): string {
  // `#` stays: it cannot be in a configured name, so `calc#bolt` (calc's BOLT data) is never another package's directory.
  return name.replace(/[^A-Za-z0-9._+#-]/g, '_').replace(/^\.+/, '_');
}

/**
 * How much of each contributor's profile goes into the package's profile: a
 * factor per contributor (1: all of it) such that, when several contributed,
 * none holds more than `maxShare` of the total mass (the sum of all counters).
 * Contributors over the cap are scaled down to exactly the cap; the others keep
 * their data as is. When the cap cannot hold for everyone (fewer than 1/maxShare
 * contributors with data), every contributor gets an equal share.
 */
export function planContributorWeights(masses: ReadonlyMap<number, number>, maxShare: number): Map<number, number> {
  const weights = new Map<number, number>([...masses.keys()].map((c) => [c, 1]));
  const withData = [...masses].filter(([, m]) => m > 0);
  if (withData.length < 2 || maxShare >= 1) return weights;
  if (withData.length * maxShare <= 1) {
    // Equal shares: scale everyone to the smallest mass.
    const smallest = Math.min(...withData.map(([, m]) => m));
    for (const [c, m] of withData) weights.set(c, smallest / m);
    return weights;
  }
  // Water-filling: cap the largest contributors one by one until nobody else is above the cap.
  const capped = new Set<number>();
  for (;;) {
    const freeMass = withData.filter(([c]) => !capped.has(c)).reduce((sum, [, m]) => sum + m, 0);
    // The total when capped ones hold maxShare each and the free ones keep their mass.
    const total = freeMass / (1 - capped.size * maxShare);
    const over = withData.filter(([c, m]) => !capped.has(c) && m > maxShare * total);
    if (over.length === 0) {
      for (const c of capped) weights.set(c, (maxShare * total) / masses.get(c)!);
      return weights;
    }
    const [largest] = over.sort((a, b) => b[1] - a[1]);
    capped.add(largest![0]);
  }
}
