/**
 * The overlap of two profiles as llvm-profdata defines it (pure): the sum over
 * all counters of the smaller of the two normalized counts (1 = same shape).
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
