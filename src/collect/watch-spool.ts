/**
 * Runs a pass whenever something changes in the watched directories (inotify
 * through Node's watcher), debounced, plus a slow periodic pass as the safety
 * net for events a watcher misses. Passes never overlap: a change during a
 * pass runs one more pass after it.
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

  constructor(
    /** One pass; returns the directories to watch from now on. */
    private readonly pass: () => Promise<readonly string[]>,
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
    this.timer = null;
    this.debounce = null;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    if (this.running) await this.running.catch(() => undefined);
  }

  private trigger(): void {
    if (!this.timer) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      this.running = this.pass()
        .then((dirs) => this.follow(dirs))
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
      } catch {
        // Vanished since the scan; the next scan sees it again.
      }
    }
  }
}
