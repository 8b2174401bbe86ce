/** The content hash and size of a merge output: one file, or a tree hashed by relative path and content. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listTreeFiles } from './gcda-tree.js';

export function hashFile(path: string): { sha256: string; bytes: number } {
  const content = readFileSync(path);
  return { sha256: createHash('sha256').update(content).digest('hex'), bytes: content.length };
}

export function hashTree(path: string): { sha256: string; bytes: number } {
  const hash = createHash('sha256');
  let bytes = 0;
  for (const rel of listTreeFiles(path)) {
    const content = readFileSync(join(path, rel));
    hash.update(rel).update('\0').update(content);
    bytes += content.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}
