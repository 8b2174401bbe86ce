/**
 * Runs a pass whenever something changes in the watched directories (inotify
 * through Node's watcher), debounced, plus a slow periodic pass as the safety
 * net for events a watcher misses. Passes never overlap: a change during a
 * pass runs one more pass after it. A pass that left files busy (their
 * writer still at it) is followed by another one soon, backing off.
 */
import { watch, type FSWatcher } from 'node:fs';

export interface WatchOptions {
  debounceMs: number;
  rescanIntervalMs: number;
  onError: (error: unknown) => void;
}

export class SpoolWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private retry: NodeJS.Timeout | null = null;
  private retryMs = 0;

  constructor(
    /** One pass; returns the directories to watch from now on, and how many files it left busy. */
    private readonly pass: () => Promise<{ directories: readonly string[]; harvested: { busy: number } }>,
    private readonly options: WatchOptions,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.trigger(), this.options.rescanIntervalMs);
    this.trigger();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    if (this.retry) clearTimeout(this.retry);
    this.timer = null;
    this.debounce = null;
    this.retry = null;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    if (this.running) await this.running.catch(() => undefined);
  }

  /** Runs a pass soon (after the debounce), or once more after the running one; nothing before start(). */
  trigger(): void {
    if (!this.timer) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      this.running = this.pass()
        .then(({ directories, harvested }) => {
          this.follow(directories);
          this.retryIfBusy(harvested.busy > 0);
        })
        .catch((error: unknown) => this.options.onError(error))
        .finally(() => {
          this.running = null;
          if (this.again) {
            this.again = false;
            this.trigger();
          }
        });
    }, this.options.debounceMs);
  }

  /** A busy file's writer ends without a file event (a program exits after it wrote): only a pass takes it. */
  private retryIfBusy(busy: boolean): void {
    if (!this.timer) return;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    if (!busy) {
      this.retryMs = 0;
      return;
    }
    this.retryMs = Math.min(Math.max(2 * this.retryMs, 1000), this.options.rescanIntervalMs);
    this.retry = setTimeout(() => {
      this.retry = null;
      this.trigger();
    }, this.retryMs);
  }

  private follow(directories: readonly string[]): void {
    if (!this.timer) return;
    const wanted = new Set(directories);
    for (const [dir, w] of this.watchers) {
      if (!wanted.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of wanted) {
      if (this.watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: true }, () => this.trigger());
        w.on('error', () => {
          w.close();
          this.watchers.delete(dir);
        });
        this.watchers.set(dir, w);
        // What was written there between the scan and this watch sent no event: one more pass finds it.
        this.again = true;
      } catch {
        // Vanished since the scan; the next scan sees it again.
      }
    }
  }
}
