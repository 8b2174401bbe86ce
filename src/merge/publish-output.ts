/**
 * How a merge output gets its final name: written under a temporary name,
 * fsynced, renamed, and the directory fsynced, so a crash leaves either no
 * output or a whole one (and recovery deletes outputs no commit names).
 */
import { copyFileSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fsyncPath } from '../durable/durable-file.js';
import { faultPoint } from '../durable/fault-points.js';
import { listTreeFiles } from './gcda-tree.js';

/** Fsyncs `tmp` (a file, or a directory whose files are already fsynced) and renames it to `target`. */
export function publish(tmp: string, target: string): void {
  fsyncPath(tmp);
  faultPoint('merge:output');
  renameSync(tmp, target);
  fsyncPath(dirname(target));
}

/** Copies (not links) a tree to `target` through a temporary name, so it shares no inode with its inputs. */
export function publishTree(source: string, target: string): void {
  const tmp = `${target}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const rel of listTreeFiles(source)) {
    mkdirSync(dirname(join(tmp, rel)), { recursive: true });
    copyFileSync(join(source, rel), join(tmp, rel));
    fsyncPath(join(tmp, rel));
  }
  publish(tmp, target);
}
