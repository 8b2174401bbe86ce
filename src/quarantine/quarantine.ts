/**
 * The quarantine: copies of bad profiles kept under a disk cap, entries moved
 * out of the spool unread, and a row with the reason for each (in the state
 * database). Harvest, merge and recovery all set things aside through here.
 */
import { lstatSync, readdirSync, renameSync, rmdirSync, rmSync, unlinkSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { basename, join } from 'node:path';
import { writeDurable } from '../durable/durable-file.js';
import type { Db } from '../state/database.js';
import { insertQuarantine, type QuarantineRecord } from '../state/quarantine-records.js';

export class Quarantine {
  private bytes: number;
  /** Set when something could not be kept because the cap was reached. */
  full = false;

  constructor(
    private readonly db: Db,
    private readonly dir: string,
    readonly capBytes: number,
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

  /** Writes a copy of bad bytes, or returns null (and marks the quarantine full) when the cap does not allow it. */
  keepCopy(sourcePath: string, bytes: Buffer): string | null {
    if (this.bytes + bytes.length > this.capBytes) {
      this.full = true;
      return null;
    }
    const path = join(this.dir, `${randomUUID()}-${safeName(sourcePath)}`);
    writeDurable(path, bytes);
    this.bytes += bytes.length;
    return path;
  }

  /** Keeps a copy already written in our own state (`path`, `size` bytes) by moving it here, or deletes it over the cap. */
  keepFile(sourcePath: string, path: string, size: number): string | null {
    if (this.bytes + size > this.capBytes) {
      this.full = true;
      rmSync(path, { force: true });
      return null;
    }
    const target = join(this.dir, `${randomUUID()}-${safeName(sourcePath)}`);
    renameSync(path, target);
    this.bytes += size;
    return target;
  }

  /**
   * Moves an entry of the spool out of the way in its own directory (`aside`, a name the scan passes over):
   * another user's directory cannot be moved to another parent, and is never read. An empty one is removed.
   */
  moveAside(path: string | Buffer, aside: string): string | null {
    try {
      if (lstatSync(path).isDirectory()) {
        try {
          rmdirSync(path);
          return null;
        } catch {
          // Not empty: renamed below.
        }
      }
      renameSync(path, aside);
      return aside;
    } catch {
      // Not ours to move (a directory we do not own); the reason row still says what was found.
      return null;
    }
  }

  /** Moves an entry out of the spool without reading it; deletes it when it cannot be kept. */
  moveAway(sourcePath: string | Buffer, size: number): string | null {
    const target = join(this.dir, `${randomUUID()}-${safeName(sourcePath)}`);
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

  /** Removes an entry that must not be kept (a symlink, a fifo, a hard link, someone else's file); returns null for `keptPath`. */
  remove(sourcePath: string | Buffer): null {
    removeEntry(sourcePath);
    return null;
  }

  /** Records the reason row (outside any harvest transaction). */
  record(entry: QuarantineRecord): void {
    insertQuarantine(this.db, entry);
  }
}

/** The last component of a path, printable and safe as part of a file name. */
function safeName(path: string | Buffer): string {
  const name = basename(typeof path === 'string' ? path : path.toString('latin1'));
  return name.replace(/[^A-Za-z0-9._+-]/g, '_').slice(0, 100);
}

function removeEntry(path: string | Buffer): void {
  try {
    const st = lstatSync(path);
    if (st.isDirectory()) rmdirSync(path);
    else unlinkSync(path);
  } catch {
    // Not ours to remove (e.g. a non-empty directory); the reason row still says what was found.
  }
}

function directoryBytes(dir: string): number {
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
