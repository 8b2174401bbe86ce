// `nix-pgo build NAME` as a request in the lifecycle table: the next tick (of this process or of the running daemon) builds, whatever the backoff says.
import { findPackage } from '../config/find-package.js';
import { afterBuildRequested } from '../lifecycle/next-record.js';
import { getLifecycle, newLifecycleRecord, saveLifecycle, type LifecycleRecord } from '../state/lifecycle-records.js';
import type { ActionContext } from './action-context.js';

export function requestBuild(ctx: Pick<ActionContext, 'config' | 'db' | 'now'>, name: string): LifecycleRecord {
  findPackage(ctx.config, name);
  const next = afterBuildRequested(getLifecycle(ctx.db, name) ?? newLifecycleRecord(name, ctx.now()), ctx.now());
  saveLifecycle(ctx.db, next, 'build-requested');
  return next;
}
