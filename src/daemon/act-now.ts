/**
 * What `nix-pgo build`, `check` and `reset` share: when no daemon runs, this
 * process opens the state (collector and all) and acts itself; when one runs
 * (it holds the collector lock), the request is recorded in the lifecycle
 * table and the daemon acts on it at its next tick.
 */
import type { Config } from '../config/config-types.js';
import { NixPgoError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import type { Db } from '../state/database.js';
import { withDatabase } from '../state/database.js';
import { stateLayout } from '../state/state-layout.js';
import { openDaemon, type OpenDaemon } from './open-daemon.js';

export interface RequestContext {
  config: Config;
  db: Db;
  now: () => Date;
}

export async function actNow<T>(
  config: Config,
  options: { logger?: Logger },
  here: (daemon: OpenDaemon) => Promise<T>,
  byDaemon: (ctx: RequestContext) => T | Promise<T>,
): Promise<T> {
  let daemon: OpenDaemon;
  try {
    daemon = await openDaemon(config, { logger: options.logger });
  } catch (error) {
    if (!(error instanceof NixPgoError && error.code === 'COLLECTOR_BUSY')) throw error;
    return withDatabase(stateLayout(config.stateDir, config.spoolDir).database, (db) =>
      byDaemon({ config, db, now: () => new Date() }),
    );
  }
  try {
    return await here(daemon);
  } finally {
    await daemon.close();
  }
}
