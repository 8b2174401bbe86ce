/**
 * Records one step of an action on a package: its next lifecycle record is
 * computed from the stored one and saved with the step's event, in one
 * transaction (a package without a record starts from a new one).
 */
import { newLifecycleRecord, type LifecycleRecord } from '../model/lifecycle-record.js';
import { updateLifecycle } from '../state/lifecycle-records.js';
import type { ActionContext } from './action-context.js';

/** `next` returning null records nothing. Returns the record as it stands after the step. */
export function recordStep(
  ctx: Pick<ActionContext, 'db' | 'now'>,
  name: string,
  next: (record: LifecycleRecord) => LifecycleRecord | null,
  event: string,
  detail: Record<string, unknown> = {},
): LifecycleRecord {
  const fresh = newLifecycleRecord(name, ctx.now());
  const stored = updateLifecycle(ctx.db, name, (current) => {
    const computed = next(current ?? fresh);
    return computed === null ? null : { record: computed, event, detail };
  });
  return stored ?? fresh;
}
