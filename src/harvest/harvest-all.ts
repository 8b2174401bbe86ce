/**
 * Harvests a pass's files in batches, two at a time: while one batch waits for
 * the disk (its copies, journal commit and `syncfs`), the other opens, reads
 * and parses its files. More at once would only hold more files in memory.
 * Batches are reported in their order, whichever finishes first, so a caller
 * that merges a package once a later batch holds none of it sees them as a
 * sequential harvest would.
 */

const BATCHES_AT_ONCE = 2;

/** A batch's files are read whole into memory: a batch stops at this many bytes (or at one file, if larger). */
export const BATCH_BYTES = 64 * 1024 * 1024;

/**
 * Splits `files` into batches in their order (files of one package are next to each other, so they stay together)
 * of at most `batchSize` files and `maxBytes` bytes by `size`, except a batch of one file larger than that.
 */
export function planBatches<T>(
  files: readonly T[],
  batchSize: number,
  size: (file: T) => number = () => 0,
  maxBytes = BATCH_BYTES,
): T[][] {
  const batches: T[][] = [];
  let batch: T[] = [];
  let bytes = 0;
  for (const file of files) {
    if (batch.length > 0 && (batch.length >= Math.max(1, batchSize) || bytes + size(file) > maxBytes)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(file);
    bytes += size(file);
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/**
 * Runs `harvest` on every batch; `onBatch` receives each report in batch order. After a batch fails no new one
 * starts, the one under way finishes, and the first failure is thrown.
 */
export async function harvestAll<F extends { size: number }, R>(
  files: readonly F[],
  batchSize: number,
  harvest: (batch: F[]) => Promise<R>,
  onBatch: (report: R) => void,
): Promise<void> {
  const batches = planBatches(files, batchSize, (f) => f.size);
  const reports: (R | undefined)[] = [];
  let reported = 0;
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (failure === null && next < batches.length) {
      const k = next++;
      try {
        reports[k] = await harvest(batches[k]!);
        for (let done = reports[reported]; done !== undefined; done = reports[reported]) {
          reported++;
          onBatch(done);
        }
      } catch (error) {
        failure ??= { error };
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: BATCHES_AT_ONCE }, worker));
  if (failure !== null) throw (failure as { error: unknown }).error;
}
