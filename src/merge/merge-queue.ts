/**
 * Runs package merges a few at a time while harvesting goes on, never two
 * merges of the same package at once (both would build on the same generation).
 * A package added while it is being merged is merged again afterwards.
 */
export class MergeQueue {
  private readonly pending: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();
  private wakers: (() => void)[] = [];
  private closed = false;
  /** Settles when close() was called and every merge has finished. */
  readonly done: Promise<void>;

  constructor(
    private readonly merge: (name: string) => Promise<void>,
    concurrency: number,
  ) {
    this.done = Promise.all(Array.from({ length: Math.max(1, concurrency) }, () => this.work())).then(() => undefined);
  }

  add(name: string): void {
    if (this.running.has(name)) this.again.add(name);
    else if (!this.queued.has(name)) {
      this.queued.add(name);
      this.pending.push(name);
      this.wake();
    }
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const w of wakers) w();
  }

  private async work(): Promise<void> {
    for (;;) {
      const name = this.pending.shift();
      if (name === undefined) {
        if (this.closed && this.running.size === 0) return;
        await new Promise<void>((resolve) => this.wakers.push(resolve));
        continue;
      }
      this.queued.delete(name);
      this.running.add(name);
      try {
        await this.merge(name);
      } finally {
        this.running.delete(name);
        if (this.again.delete(name)) this.add(name);
        this.wake();
      }
    }
  }
}
