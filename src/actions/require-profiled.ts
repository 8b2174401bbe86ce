// The record of a managed package that has a profiling variant, or the error a user can act on.
import { findPackage } from '../config/find-package.js';
import type { Config } from '../config/config-types.js';
import { StateError } from '../errors/errors.js';
import type { Db } from '../state/database.js';
import { getLifecycle } from '../state/lifecycle-records.js';
import type { LifecycleRecord } from '../model/lifecycle-record.js';

export function requireProfiled(ctx: { config: Config; db: Db }, name: string): LifecycleRecord {
  findPackage(ctx.config, name);
  const record = getLifecycle(ctx.db, name);
  if (!record || record.profilingPath === null) {
    throw new StateError('STATE', `${name} has no profiling variant yet`, {
      hints: [`start the daemon (nix-pgo daemon) or run: nix-pgo build ${name}`],
    });
  }
  return record;
}
