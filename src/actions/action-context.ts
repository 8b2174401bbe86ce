/**
 * Everything the executor needs, passed explicitly so tests can build one
 * against a temporary state directory.
 */
import type { Config } from '../config/config-types.js';
import type { Logger } from '../log/logger.js';
import type { Notifier } from '../notify/notify-hook.js';
import type { Db } from '../state/database.js';
import type { StateLayout } from '../state/state-layout.js';

/** The collector, as far as actions need it (the CLI's switch and rollback run without one). */
export interface CollectorPort {
  /** Attribute profiles of this profiling build to the package from now on. */
  register(name: string, manifestPath: string): void;
  /** Forget the package's collected data (its next merge starts from nothing); resolves once it is gone. */
  forget(name: string): Promise<void>;
}

export interface ActionContext {
  config: Config;
  db: Db;
  layout: StateLayout;
  collector: CollectorPort | null;
  notifier: Notifier;
  logger: Logger;
  now: () => Date;
  /** Aborted when the process stops: a running build is interrupted (and starts again later) rather than waited for. */
  signal?: AbortSignal;
}
