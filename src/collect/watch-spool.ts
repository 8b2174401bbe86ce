/**
 * Runs a collector pass whenever something changes in the spool's directories,
 * debounced from the first event (a stream of writes cannot hold passes off),
 * plus a slow periodic pass; each pass says which directories to watch next.
 */
import { DirectoryWatcher } from '../watch/directory-watcher.js';

export interface WatchOptions {
  debounceMs: number;
  rescanIntervalMs: number;
  onError: (error: unknown) => void;
}

export class SpoolWatcher {
  private readonly watcher: DirectoryWatcher;

  constructor(
    /** One pass; returns the directories to watch from now on. */
    pass: () => Promise<readonly string[]>,
    options: WatchOptions,
  ) {
    // A directory that vanished since the scan is not watched; the next scan sees it again.
    this.watcher = new DirectoryWatcher(
      async () => {
        this.watcher.follow(await pass());
      },
      { ...options, debounceFrom: 'first-event' },
    );
  }

  start(): void {
    this.watcher.start(true);
  }

  /** A pass soon, as if the spool had changed. */
  trigger(): void {
    this.watcher.trigger();
  }

  stop(): Promise<void> {
    return this.watcher.stop();
  }
}
