/**
 * `nix-pgo daemon`: the collector harvests on file events, and every tick
 * plans and applies, until stopped (SIGTERM/SIGINT end it cleanly: a build in
 * progress is interrupted and starts again at the next start). The config is
 * read again when its file changes or on SIGHUP; a config with problems is
 * reported and the running one kept. At the start and after a reload every
 * package's derivation is compared with the Nix file's, and then every
 * `upgrades.checkMinutes`.
 */
import { basename, dirname } from 'node:path';
import type { Config } from '../config/config-types.js';
import type { Logger } from '../log/logger.js';
import { listLifecycles } from '../state/lifecycle-records.js';
import { DirectoryWatcher } from '../watch/directory-watcher.js';
import { openDaemon } from './open-daemon.js';
import { runTick } from './run-tick.js';
import { runFleetRound, takeFleetRequest } from '../fleet/run-fleet-round.js';

export interface DaemonOptions {
  logger?: Logger;
  /** How often to plan (cheap: reads the state database). */
  tickMs?: number;
  signal?: AbortSignal;
  /** Reads the config again (from the same file); without it, the config is never reloaded. */
  readConfig?: () => Promise<Config>;
  /** Receives the function that asks for a reload (the CLI wires it to SIGHUP). */
  onReloadRequest?: (reload: () => void) => void;
}

/** Settings that only a restart can change: the daemon keeps the running ones and says so. */
const FIXED = ['stateDir', 'spoolDir', 'nixProfile', 'collector'] as const;

export async function runDaemon(config: Config, options: DaemonOptions = {}): Promise<{ ticks: number }> {
  const daemon = await openDaemon(config, { logger: options.logger });
  const { ctx } = daemon;
  const tickMs = options.tickMs ?? 1000;
  let ticks = 0;
  let reloaded: Config | null = null;
  ctx.signal = options.signal;
  // Said at once: a build in progress takes a moment to stop, and the daemon must not look hung meanwhile.
  options.signal?.addEventListener(
    'abort',
    () =>
      ctx.logger.log('info', 'daemon-stopping', {
        interrupting: listLifecycles(ctx.db)
          .filter((r) => r.activeBuild)
          .map((r) => ({ package: r.name, variant: r.activeBuild!.variant })),
      }),
    { once: true },
  );

  const reload = async (why: string): Promise<void> => {
    const read = options.readConfig;
    if (!read) return;
    try {
      const next = await read();
      const fixed = FIXED.filter((key) => JSON.stringify(next[key]) !== JSON.stringify(ctx.config[key]));
      if (fixed.length > 0)
        ctx.logger.log('warn', 'config-needs-restart', {
          keys: fixed,
          hint: 'restart the daemon to use them; the running values stay',
        });
      reloaded = { ...next, ...Object.fromEntries(FIXED.map((key) => [key, ctx.config[key]])) };
      ctx.logger.log('info', 'config-reloaded', { why, packages: next.packages.map((p) => p.name) });
    } catch (error) {
      ctx.logger.log('error', 'config-invalid', {
        why,
        error: (error as Error).message,
        kept: ctx.config.packages.map((p) => p.name),
      });
    }
  };
  options.onReloadRequest?.(() => void reload('SIGHUP'));
  // Debounced from the last event: an editor that writes the file in steps is read once it is whole.
  const configWatcher = new DirectoryWatcher(() => reload('the config file changed'), {
    debounceMs: 200,
    debounceFrom: 'last-event',
    rescanIntervalMs: null,
    // reload logs its own failures; nothing else can throw.
    onError: () => undefined,
  });
  if (options.readConfig && config.file) {
    const file = config.file;
    configWatcher.start(false);
    // The directory, not the file: editors replace a file by renaming a new one over it.
    for (const error of configWatcher.follow([dirname(file)], (name) => name === basename(file)).values())
      ctx.logger.log('warn', 'config-not-watched', { file, error: error.message });
  }

  ctx.logger.log('info', 'daemon-started', {
    packages: config.packages.map((p) => p.name),
    stateDir: config.stateDir,
    spoolDir: config.spoolDir,
  });
  // A fleet's round after the first tick (profiling builds first), then every fleet.intervalSeconds or when asked.
  let lastFleetRound = Number.NEGATIVE_INFINITY;
  const fleetRoundIfDue = async (last: number): Promise<number> => {
    const fleet = ctx.config.fleet;
    if (!fleet || options.signal?.aborted) return last;
    const request = takeFleetRequest(ctx.layout.fleetDir);
    if (request === null && Date.now() - last < fleet.intervalMs) return last;
    const started = Date.now();
    await runFleetRound(ctx, request ?? {}).catch((error: unknown) =>
      ctx.logger.log('error', 'fleet-round-failed', { error: (error as Error).message }),
    );
    return started;
  };
  try {
    // The first tick builds what is missing and recovers interrupted builds; then the collector follows the spool.
    await runTick(ctx, { phase: 'start', checkAll: true });
    ticks++;
    daemon.collector.start();
    lastFleetRound = await fleetRoundIfDue(lastFleetRound);
    while (!options.signal?.aborted) {
      await sleep(tickMs, options.signal);
      if (options.signal?.aborted) break;
      let checkAll = false;
      if (reloaded) {
        const next: Config = reloaded;
        reloaded = null;
        // A new config (on NixOS, after a rebuild: new packages) may give new derivations.
        checkAll = true;
        await daemon
          .reconfigure(next)
          .catch((error: unknown) => ctx.logger.log('error', 'config-invalid', { error: (error as Error).message }));
      }
      await runTick(ctx, { phase: 'running', checkAll });
      ticks++;
      lastFleetRound = await fleetRoundIfDue(lastFleetRound);
    }
  } finally {
    await configWatcher.stop();
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
