/**
 * Pure planning of one package's merge: which staged inputs to take and, for
 * gcda trees, in which layers (gcov-tool merges two trees at a time, and one
 * tree can hold each relative path only once).
 */
import type { StagedRecord } from '../state/harvest-journal.js';

/** Splits gcda inputs into trees with unique relative paths, oldest copies first. */
export function planGcdaLayers(inputs: readonly StagedRecord[]): StagedRecord[][] {
  const layers: StagedRecord[][] = [];
  const seen = new Map<string, number>();
  for (const input of inputs) {
    const rel = input.relPath ?? '';
    const layer = seen.get(rel) ?? 0;
    seen.set(rel, layer + 1);
    (layers[layer] ??= []).push(input);
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
export function generationName(generation: number, toolchain: 'clang' | 'gcc'): string {
  return toolchain === 'clang' ? `gen-${generation}.profdata` : `gen-${generation}.gcda.d`;
}

/** Directory name for a package's merged profiles: package names are free text, paths are not. */
export function packageDirName(name: string): string {
  return name.replace(/[^A-Za-z0-9._+-]/g, '_').replace(/^\.+/, '_');
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
