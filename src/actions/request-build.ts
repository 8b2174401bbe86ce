// `nix-pgo build NAME` as a request in the lifecycle table: the next tick (of this process or of the running daemon) builds.
import { afterBuildRequested } from '../lifecycle/next-record.js';
import { saveLifecycle, type LifecycleRecord } from '../state/lifecycle-records.js';
import type { ActionContext } from './action-context.js';
import { requireProfiled } from './require-profiled.js';

export function requestBuild(ctx: Pick<ActionContext, 'config' | 'db' | 'now'>, name: string): LifecycleRecord {
  const next = afterBuildRequested(requireProfiled(ctx, name), ctx.now());
  saveLifecycle(ctx.db, next, 'build-requested');
  return next;
}
