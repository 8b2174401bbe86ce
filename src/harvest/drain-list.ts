/**
 * Raw profiles are unlinked once harvested (one file per process would
 * otherwise pile up empty). A process that opened the file just before the
 * unlink and was waiting for our lock then writes into the unlinked file, so
 * the collector keeps its descriptor here and harvests it again until it has
 * stayed empty for a while: nothing written that way is lost.
 */
import { closeSync } from 'node:fs';
import type { SpoolFile } from '../spool/scan.js';

export interface Draining {
  fd: number;
  /** The spool file as it was scanned (its path no longer exists). */
  file: SpoolFile;
  dev: bigint;
  ino: bigint;
  /** When it was unlinked, or last found holding data. */
  lastDataMs: number;
}

export class DrainList {
  private readonly entries = new Set<Draining>();

  add(entry: Draining): void {
    this.entries.add(entry);
  }

  remove(entry: Draining): void {
    if (this.entries.delete(entry)) closeSync(entry.fd);
  }

  /** Every entry: each pass looks at all of them (a check of an empty file is one fstat). */
  list(): Draining[] {
    return [...this.entries];
  }

  get size(): number {
    return this.entries.size;
  }

  /** Closes every descriptor (the collector stops). */
  closeAll(): void {
    for (const entry of this.entries) closeSync(entry.fd);
    this.entries.clear();
  }
}
