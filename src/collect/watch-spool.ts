/**
 * Runs a collector pass whenever something changes in the spool's directories,
 * debounced from the first event (a stream of writes cannot hold passes off),
 * plus a slow periodic pass; each pass says which directories to watch next.
 * A pass that left files busy (their writer still at it) is followed by
 * another one soon, backing off: a program that exits raises no file event.
 * While programs in continuous collection run (their counters grow through a
 * mapping, which raises no file event either), a pass starts every live
 * snapshot interval.
 */
import { DirectoryWatcher } from '../watch/directory-watcher.js';

export interface WatchOptions {
  debounceMs: number;
  rescanIntervalMs: number;
  /** While a pass finds files of running programs, the next one starts this long after it started. */
  liveIntervalMs: number;
  onError: (error: unknown) => void;
}

/**
 * What a pass tells the watcher: the directories to watch from now on, how many files it left busy, and how many
 * files of programs that may still run it read.
 */
export interface PassOutcome {
  directories: readonly string[];
  harvested: { busy: number };
  live: number;
}

export class SpoolWatcher {
  private readonly watcher: DirectoryWatcher;
  private readonly watched = new Set<string>();
  private retry: NodeJS.Timeout | null = null;
  private retryMs = 0;
  private active = false;

  constructor(pass: () => Promise<PassOutcome>, options: WatchOptions) {
    this.watcher = new DirectoryWatcher(
      async () => {
        const started = Date.now();
        const outcome = await pass();
        this.follow(outcome.directories);
        this.scheduleNext(outcome, started, options);
      },
      { ...options, debounceFrom: 'first-event' },
    );
  }

  start(): void {
    this.active = true;
    this.watcher.start(true);
  }

  /** A pass soon, as if the spool had changed. */
  trigger(): void {
    this.watcher.trigger();
  }

  stop(): Promise<void> {
    this.active = false;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.watched.clear();
    return this.watcher.stop();
  }

  private follow(directories: readonly string[]): void {
    // A directory that vanished since the scan is not watched; the next scan sees it again.
    const failed = this.watcher.follow(directories);
    let added = false;
    for (const dir of [...this.watched]) if (!directories.includes(dir)) this.watched.delete(dir);
    for (const dir of directories) {
      if (failed.has(dir) || this.watched.has(dir)) continue;
      this.watched.add(dir);
      added = true;
    }
    // What was written into a new directory between the scan and its watch sent no event: one more pass finds it.
    if (added) this.watcher.trigger();
  }

  /** The next pass without an event: soon after busy files (backing off), and on the schedule of running programs. */
  private scheduleNext(outcome: PassOutcome, started: number, options: WatchOptions): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const busy = outcome.harvested.busy > 0;
    this.retryMs = busy ? Math.min(Math.max(2 * this.retryMs, 1000), options.rescanIntervalMs) : 0;
    // From the start of this pass, so a slow pass does not stretch the interval running programs are read at.
    const liveMs = outcome.live > 0 ? Math.max(0, started + options.liveIntervalMs - Date.now()) : null;
    const delays = [...(busy ? [this.retryMs] : []), ...(liveMs === null ? [] : [liveMs])];
    if (delays.length === 0 || !this.active) return;
    this.retry = setTimeout(
      () => {
        this.retry = null;
        this.watcher.trigger();
      },
      Math.min(...delays),
    );
  }
}
