/**
 * Harvests a pass's files in batches, two at a time: while one batch waits for
 * the disk (its copies, journal commit and `syncfs`), the other opens, reads
 * and parses its files. More at once would only hold more files in memory.
 * Batches are reported in their order, whichever finishes first, so a caller
 * that merges a package once a later batch holds none of it sees them as a
 * sequential harvest would.
 */

const BATCHES_AT_ONCE = 2;

/** Splits `files` into batches of `batchSize` (files of one package are next to each other, so they stay together). */
export function planBatches<T>(files: readonly T[], batchSize: number): T[][] {
  const batches: T[][] = [];
  const size = Math.max(1, batchSize);
  for (let i = 0; i < files.length; i += size) batches.push(files.slice(i, i + size));
  return batches;
}

/**
 * Runs `harvest` on every batch; `onBatch` receives each report in batch order. After a batch fails no new one
 * starts, the one under way finishes, and the first failure is thrown.
 */
export async function harvestAll<F, R>(
  files: readonly F[],
  batchSize: number,
  harvest: (batch: F[]) => Promise<R>,
  onBatch: (report: R) => void,
): Promise<void> {
  const batches = planBatches(files, batchSize);
  const reports: (R | undefined)[] = [];
  let reported = 0;
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (failure === null && next < batches.length) {
      const k = next++;
      try {
        reports[k] = await harvest(batches[k]!);
      } catch (error) {
        failure ??= { error };
        return;
      }
      for (let done = reports[reported]; done !== undefined; done = reports[reported]) {
        reported++;
        onBatch(done);
      }
    }
  };
  await Promise.all(Array.from({ length: BATCHES_AT_ONCE }, worker));
  if (failure !== null) throw (failure as { error: unknown }).error;
}
