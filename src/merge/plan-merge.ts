/**
 * Pure planning of one package's merge: which staged inputs to take and, for
 * gcda trees, in which layers (gcov-tool merges two trees at a time, and one
 * tree can hold each relative path only once).
 */
import type { Toolchain } from '../formats/manifest.js';
import type { StagedRecord } from '../state/harvest-journal.js';

/** Splits gcda inputs into trees with unique relative paths, oldest copies first. */
export function planGcdaLayers(inputs: readonly StagedRecord[]): StagedRecord[][] {
  const layers: StagedRecord[][] = [];
  const seen = new Map<string, number>();
  for (const input of inputs) {
    const rel = input.relPath ?? '';
    const layer = seen.get(rel) ?? 0;
    seen.set(rel, layer + 1);
    layers[layer] ??= [];
    layers[layer].push(input);
  }
  return layers;
}

/**
 * Packages that got inputs in the previous harvest batch but none in this one: spool files come
 * grouped by name, so these are likely complete for this pass and can merge while harvesting goes on.
 */
export function packagesToMergeEarly(previousBatch: ReadonlySet<string>, thisBatch: ReadonlySet<string>): string[] {
  return [...previousBatch].filter((name) => !thisBatch.has(name));
}

/** Name of a generation's output, so a crash leaves outputs that recovery can match to the db. */
export function generationName(generation: number, toolchain: Toolchain): string {
  return toolchain === 'clang'
    ? `gen-${generation}.profdata`
    : toolchain === 'gcc'
      ? `gen-${generation}.gcda.d`
      : `gen-${generation}.fdata.d`;
}

/** Directory name for a package's merged profiles: package names are free text, paths are not. */
export function packageDirName(name: string): string {
  // `#` stays: it cannot be in a configured name, so `calc#bolt` (calc's BOLT data) is never another package's directory.
  return name.replace(/[^A-Za-z0-9._+#-]/g, '_').replace(/^\.+/, '_');
}

/**
 * The overlap of two profiles as llvm-profdata defines it: the sum over all
 * counters of the smaller of the two normalized counts (1 = same shape).
 * Counters are keyed so that a counter missing on one side counts as zero.
 */
export function countOverlap(base: ReadonlyMap<string, bigint>, test: ReadonlyMap<string, bigint>): number | null {
  const sum = (m: ReadonlyMap<string, bigint>) => [...m.values()].reduce((a, b) => a + b, 0n);
  const sb = Number(sum(base));
  const st = Number(sum(test));
  if (sb === 0 || st === 0) return null;
  let overlap = 0;
  for (const [key, value] of base) overlap += Math.min(Number(value) / sb, Number(test.get(key) ?? 0n) / st);
  return overlap;
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
