// Drops a variant's files from the page cache before measuring. Seen here: a
// binary just written by a build ran speedtest1 25 % slower than the same bytes
// read back from disk, so without this the variant built last would lose.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/process/run.js';

/** Every regular file below `root` (a store path or a by-hand output directory). */
export function listFiles(root: string): string[] {
  if (statSync(root).isFile()) return [root];
  return (readdirSync(root, { recursive: true }) as string[])
    .map((entry) => join(root, entry))
    .filter((path) => statSync(path).isFile());
}

/** Writes the files back (`sync FILE...`) and drops their cached pages (`dd iflag=nocache count=0` advises DONTNEED). */
export async function evictFromPageCache(files: readonly string[]): Promise<void> {
  if (files.length === 0) return;
  await run('sync', [...files]);
  for (const file of files) await run('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
}
