/**
 * Runs a pass whenever something changes in the watched directories (inotify
 * through Node's watcher), debounced, plus (optionally) a slow periodic pass as
 * the safety net for events a watcher misses. Passes never overlap: a change
 * during a pass runs one more pass after it.
 */
import { watch, type FSWatcher } from 'node:fs';

export interface DirectoryWatcherOptions {
  debounceMs: number;
  /**
   * `first-event`: a pass runs debounceMs after the first event, whatever follows (a stream of
   * events cannot hold passes off); `last-event`: after debounceMs without events (a file written
   * in several steps is read once it is whole).
   */
  debounceFrom: 'first-event' | 'last-event';
  /** A pass this often even without events; null: only on events. */
  rescanIntervalMs: number | null;
  onError: (error: unknown) => void;
}

export class DirectoryWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private active = false;
  private timer: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly options: DirectoryWatcherOptions,
  ) {}

  /** Starts the timer and the passes; `passNow`: a first pass at once (after the debounce). */
  start(passNow: boolean): void {
    if (this.active) return;
    this.active = true;
    if (this.options.rescanIntervalMs !== null)
      this.timer = setInterval(() => this.trigger(), this.options.rescanIntervalMs);
    if (passNow) this.trigger();
  }

  async stop(): Promise<void> {
    this.active = false;
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    this.timer = null;
    this.debounce = null;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    if (this.running) await this.running.catch(() => undefined);
  }

  /** A pass soon: after the debounce, or once the pass that runs now has ended. */
  trigger(): void {
    if (!this.active) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.debounce) {
      if (this.options.debounceFrom === 'first-event') return;
      clearTimeout(this.debounce);
    }
    this.debounce = setTimeout(() => {
      this.debounce = null;
      this.running = this.pass()
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

  /**
   * Watches exactly `directories` from now on; an event for a name `accept` refuses is ignored.
   * Returns the directories that could not be watched, with why.
   */
  follow(directories: readonly string[], accept: (name: string | null) => boolean = () => true): Map<string, Error> {
    const failed = new Map<string, Error>();
    if (!this.active) return failed;
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
        const w = watch(dir, { persistent: true }, (_event, name) => {
          if (accept(name)) this.trigger();
        });
        w.on('error', () => {
          w.close();
          this.watchers.delete(dir);
        });
        this.watchers.set(dir, w);
      } catch (error) {
        failed.set(dir, error as Error);
      }
    }
    return failed;
  }
}
