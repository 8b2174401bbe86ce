/**
 * When to try a failed optimized build again: exponential backoff, so a package
 * that cannot build does not keep the machine busy.
 */
import type { RetryPolicy } from '../config/config-types.js';

/** The delay before the next attempt after `failures` consecutive failures (0 → no wait). */
export function computeRetryDelaySeconds(failures: number, retry: RetryPolicy): number {
  if (!Number.isInteger(failures) || failures < 0)
    throw new RangeError(`failures must be a whole number ≥ 0, not ${failures}`);
  if (failures === 0) return 0;
  // 2 ** n overflows to Infinity for huge n, which Math.min caps correctly.
  return Math.min(retry.maxDelaySeconds, retry.initialDelaySeconds * 2 ** (failures - 1));
}

export function nextRetryAt(failures: number, retry: RetryPolicy, now: Date): Date {
  return new Date(now.getTime() + computeRetryDelaySeconds(failures, retry) * 1000);
}

/** A package's failure count and next try after one more failed build. */
export function recordFailure(
  failures: number,
  retry: RetryPolicy,
  now: Date,
): { failures: number; nextRetryAt: string } {
  const next = failures + 1;
  return { failures: next, nextRetryAt: nextRetryAt(next, retry, now).toISOString() };
}
