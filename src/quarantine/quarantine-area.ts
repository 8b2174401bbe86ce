/**
 * The quarantine area: copies of bad profiles (while under the disk cap) and
 * entries moved out of the spool unread, each with a reason row in the db.
 */
import { lstatSync, readdirSync, renameSync, unlinkSync, rmdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { basename, join } from 'node:path';
import type { Db } from '../state/database.js';
import { insertQuarantine, type QuarantineRecord } from '../state/harvest-journal.js';
import { writeDurable } from '../durable/durable-file.js';
import type { QuarantineReason } from '../formats/quarantine-reason.js';

export class QuarantineStore {
  private bytes: number;
  /** Set when something could not be kept because the cap was reached. */
  full = false;

  constructor(
    private readonly dir: string,
    private readonly capBytes: number,
  ) {
    this.bytes = directoryBytes(dir);
  }

  /** Re-reads the space used, so a quarantine someone emptied is no longer reported full. */
  refresh(): void {
    this.bytes = directoryBytes(this.dir);
    this.full = false;
  }

  get usedBytes(): number {
    return this.bytes;
  }

  /** Writes a copy of bad bytes, or returns null (and marks the store full) when the cap does not allow it. */
  keepCopy(sourcePath: string, bytes: Buffer): string | null {
    if (this.bytes + bytes.length > this.capBytes) {
      this.full = true;
      return null;
    }
    const path = join(this.dir, `${randomUUID()}-${basename(sourcePath)}`);
    writeDurable(path, bytes);
    this.bytes += bytes.length;
    return path;
  }

  /** Moves an untrusted entry out of the spool without reading it; deletes it when it cannot be kept. */
  moveAway(sourcePath: string, size: number): string | null {
    const target = join(this.dir, `${randomUUID()}-${basename(sourcePath)}`);
    if (this.bytes + size <= this.capBytes) {
      try {
        renameSync(sourcePath, target);
        this.bytes += size;
        return target;
      } catch {
        // Another file system or a directory that is not empty: fall through to removal.
      }
    } else this.full = true;
    removeEntry(sourcePath);
    return null;
  }

  record(db: Db, q: QuarantineRecord): void {
    insertQuarantine(db, q);
  }
}

function removeEntry(path: string): void {
  try {
    const st = lstatSync(path);
    if (st.isDirectory()) rmdirSync(path);
    else unlinkSync(path);
  } catch {
    // Not ours to remove (e.g. a non-empty directory); the reason row still says what was found.
  }
}

export function directoryBytes(dir: string): number {
  let total = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    try {
      const st = lstatSync(join(dir, name));
      if (st.isFile()) total += st.size;
    } catch {
      // Vanished while counting.
    }
  }
  return total;
}

export interface QuarantineEntryInput {
  reason: QuarantineReason;
  sourcePath: string;
  uid: number | null;
  package: string | null;
  detail: string;
}
