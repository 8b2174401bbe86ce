/**
 * `nix-pgo reset PACKAGE`: start the package's cycle over. Without a daemon,
 * this process forgets its data and builds and switches to the profiling
 * variant of its current derivation; with one running, the daemon does at its
 * next tick.
 */
import { requestReset } from '../actions/reset-package.js';
import type { Config } from '../config/config-types.js';
import { findPackage } from '../config/find-package.js';
import type { Logger } from '../log/logger.js';
import type { LifecycleRecord } from '../model/lifecycle-record.js';
import { getLifecycle } from '../state/lifecycle-records.js';
import { actNow } from './act-now.js';
import { runTick } from './run-tick.js';

export interface ResetNowResult {
  name: string;
  by: 'daemon' | 'here';
  record: LifecycleRecord | null;
}

export async function resetNow(
  config: Config,
  name: string,
  options: { logger?: Logger; signal?: AbortSignal } = {},
): Promise<ResetNowResult> {
  findPackage(config, name);
  return actNow<ResetNowResult>(
    config,
    options,
    async (daemon) => {
      daemon.ctx.signal = options.signal;
      requestReset(daemon.ctx, name);
      // The reset, then (the next tick) the profiling build of the current derivation.
      await runTick(daemon.ctx, { phase: 'start', collector: daemon.collector });
      await runTick(daemon.ctx, { phase: 'start' });
      return { name, by: 'here', record: getLifecycle(daemon.ctx.db, name) };
    },
    (ctx) => ({ name, by: 'daemon', record: requestReset(ctx, name) }),
  );
}
