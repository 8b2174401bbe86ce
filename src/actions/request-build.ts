// `nix-pgo build NAME` as a request in the lifecycle table: the next tick (of this process or of the running daemon) builds, whatever the backoff says.
import { findPackage } from '../config/find-package.js';
import { afterBuildRequested } from '../lifecycle/next-record.js';
import type { LifecycleRecord } from '../model/lifecycle-record.js';
import type { ActionContext } from './action-context.js';
import { recordStep } from './record-step.js';

export function requestBuild(ctx: Pick<ActionContext, 'config' | 'db' | 'now'>, name: string): LifecycleRecord {
  findPackage(ctx.config, name);
  return recordStep(ctx, name, (record) => afterBuildRequested(record, ctx.now()), 'build-requested');
}
