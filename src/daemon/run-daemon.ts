/**
 * `nix-pgo daemon`: the collector harvests on file events, and every tick
 * plans and applies, until stopped (SIGTERM/SIGINT end it cleanly, after the
 * step in progress).
 */
import type { Config } from '../config/config-types.js';
import type { Logger } from '../log/logger.js';
import { openDaemon } from './open-daemon.js';
import { runTick } from './run-tick.js';

export interface DaemonOptions {
  logger?: Logger;
  /** How often to plan (cheap: reads the state database). */
  tickMs?: number;
  signal?: AbortSignal;
}

export async function runDaemon(config: Config, options: DaemonOptions = {}): Promise<{ ticks: number }> {
  const daemon = await openDaemon(config, { logger: options.logger });
  const { ctx } = daemon;
  const tickMs = options.tickMs ?? 1000;
  let ticks = 0;
  ctx.logger.log('info', 'daemon-started', { packages: config.packages.map((p) => p.name), stateDir: config.stateDir, spoolDir: config.spoolDir });
  try {
    // The first tick builds what is missing and recovers interrupted builds; then the collector follows the spool.
    await runTick(ctx, { phase: 'start' });
    ticks++;
    daemon.collector.start();
    while (!options.signal?.aborted) {
      await sleep(tickMs, options.signal);
      if (options.signal?.aborted) break;
      await runTick(ctx, { phase: 'running' });
      ticks++;
    }
  } finally {
    await daemon.close();
    ctx.logger.log('info', 'daemon-stopped', { ticks });
  }
  return { ticks };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
