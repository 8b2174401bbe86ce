/**
 * `nix-pgo build PACKAGE`: build now. With a daemon running, the request is
 * recorded and the daemon acts on it at its next tick; without one, this
 * process collects, plans and builds in one tick and reports what came of it.
 */
import { requestBuild } from '../actions/request-build.js';
import type { Config } from '../config/config-types.js';
import { findPackage } from '../config/find-package.js';
import type { Logger } from '../log/logger.js';
import type { LifecycleRecord } from '../model/lifecycle-record.js';
import { getLifecycle } from '../state/lifecycle-records.js';
import { actNow } from './act-now.js';
import { runTick } from './run-tick.js';

export interface BuildNowResult {
  name: string;
  /** `daemon`: a running daemon got the request; `here`: this process built. */
  by: 'daemon' | 'here';
  record: LifecycleRecord | null;
  message: string;
  /** Stopped by a signal (Ctrl-C): recorded as interrupted, asked for again. */
  interrupted?: boolean;
}

export async function buildNow(
  config: Config,
  name: string,
  options: { logger?: Logger; signal?: AbortSignal } = {},
): Promise<BuildNowResult> {
  findPackage(config, name);
  return actNow<BuildNowResult>(
    config,
    options,
    async (daemon) => {
      const { ctx } = daemon;
      ctx.signal = options.signal;
      const before = getLifecycle(ctx.db, name);
      requestBuild(ctx, name);
      const report = await runTick(ctx, { phase: 'start', collector: daemon.collector });
      const record = getLifecycle(ctx.db, name);
      const failed = report.errors.find((e) => e.action.name === name);
      let message: string;
      if (failed) message = `${name}: ${failed.error}`;
      else if (!before?.profilingPath)
        message = record?.profilingPath
          ? `${name}: the profiling variant is built and active; run it to collect profile data, then build again`
          : `${name}: ${record?.reason ?? 'nothing happened'}`;
      else if (record?.buildRequested)
        message = `${name}: no merged profile yet; run the profiling variant first (${record.reason})`;
      else message = `${name}: ${record?.state ?? 'unknown'}: ${record?.reason ?? ''}`;
      return { name, by: 'here' as const, record, message };
    },
    (ctx) => {
      const record = requestBuild(ctx, name);
      const what = record.profilingPath ? 'the optimized variant' : 'the profiling variant';
      return {
        name,
        by: 'daemon' as const,
        record,
        message: `the running daemon builds ${what} of ${name} at its next tick, whatever the backoff; follow it with nix-pgo status ${name}`,
      };
    },
  );
}
