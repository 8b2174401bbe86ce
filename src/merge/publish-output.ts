/**
 * How a merge output gets its final name: written under a temporary name,
 * fsynced, renamed, and the directory fsynced, so a crash leaves either no
 * output or a whole one (and recovery deletes outputs no commit names).
 */
import { copyFileSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fsyncPath, fsyncPathAsync } from '../durable/durable-file.js';
import { faultPoint } from '../durable/fault-points.js';
import { listTreeFiles } from './gcda-tree.js';

/**
 * Fsyncs `tmp` (a file, or a directory whose files are already fsynced) and renames it to `target`; the flushes
 * wait in the thread pool, so the harvest beside a merge goes on meanwhile.
 */
export async function publish(tmp: string, target: string): Promise<void> {
  await fsyncPathAsync(tmp);
  faultPoint('merge:output');
  renameSync(tmp, target);
  await fsyncPathAsync(dirname(target));
}

/** Copies (not links) a tree to `target` through a temporary name, so it shares no inode with its inputs. */
export async function publishTree(source: string, target: string): Promise<void> {
  const tmp = `${target}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const rel of listTreeFiles(source)) {
    mkdirSync(dirname(join(tmp, rel)), { recursive: true });
    copyFileSync(join(source, rel), join(tmp, rel));
    fsyncPath(join(tmp, rel));
  }
  await publish(tmp, target);
}
