/**
 * Lists what the spool holds, without following any symlink: per-user
 * directories named by uid and owned by that uid, `llvm/` raw profiles and
 * `gcda/<id>/...` trees. Entries that break the layout come back as rejects
 * with a quarantine reason; the harvester re-checks every file on its own
 * descriptor, because the tree can change between this scan and the open.
 */
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { QuarantineReason } from '../formats/quarantine-reason.js';

export type ProfileFormat = 'llvm' | 'gcda';

export interface SpoolFile {
  path: string;
  uid: number;
  format: ProfileFormat;
  size: number;
  /** gcda only: the path below the user's `gcda/`, which mirrors the absolute path the build baked in. */
  gcdaPath?: string;
}

export interface SpoolReject {
  path: string;
  uid: number | null;
  reason: QuarantineReason;
  detail: string;
  size: number;
  /** Directories are reported, never moved: they may hold a whole user's data. */
  isDirectory: boolean;
}

export interface SpoolScan {
  files: SpoolFile[];
  rejects: SpoolReject[];
  /** Bytes of every regular file seen, for the spool disk cap. */
  totalBytes: number;
  /** Directories worth watching for changes. */
  directories: string[];
}

const PROFRAW_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,200}\.profraw$/;
const GCDA_NAME = /^[A-Za-z0-9#_+-][A-Za-z0-9#._+-]{0,250}\.gcda$/;
const GCDA_DIR = /^[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,200}$/;
const MAX_GCDA_DEPTH = 32;

export function isProfrawName(name: string): boolean {
  return PROFRAW_NAME.test(name);
}

export function isGcdaName(name: string): boolean {
  return GCDA_NAME.test(name) && !name.includes('..');
}

function tryLstat(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

function listNames(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** Checks a directory the way the harvester trusts it: a real directory owned by uid. */
function directoryProblem(st: Stats, uid: number): { reason: QuarantineReason; detail: string } | null {
  if (st.isSymbolicLink()) return { reason: 'symlink', detail: 'a symlink where a directory belongs' };
  if (!st.isDirectory()) return { reason: 'not-regular', detail: 'not a directory' };
  if (st.uid !== uid) return { reason: 'wrong-owner', detail: `owned by uid ${st.uid}, not ${uid}` };
  return null;
}

function fileProblem(st: Stats, uid: number): { reason: QuarantineReason; detail: string } | null {
  if (st.isSymbolicLink()) return { reason: 'symlink', detail: 'symlink' };
  if (!st.isFile()) return { reason: 'not-regular', detail: 'not a regular file' };
  if (st.uid !== uid) return { reason: 'wrong-owner', detail: `owned by uid ${st.uid}, not ${uid}` };
  if (st.nlink !== 1) return { reason: 'hard-link', detail: `${st.nlink} links` };
  return null;
}

export function scanSpool(spoolDir: string): SpoolScan {
  const scan: SpoolScan = { files: [], rejects: [], totalBytes: 0, directories: [spoolDir] };
  const reject = (path: string, uid: number | null, problem: { reason: QuarantineReason; detail: string }, st: Stats | null) => {
    scan.rejects.push({ path, uid, ...problem, size: st?.isFile() ? st.size : 0, isDirectory: st?.isDirectory() ?? false });
  };
  for (const name of listNames(spoolDir)) {
    const userDir = join(spoolDir, name);
    const st = tryLstat(userDir);
    if (!st) continue;
    if (!/^(0|[1-9][0-9]{0,9})$/.test(name)) {
      reject(userDir, null, { reason: 'odd-name', detail: 'spool entries must be named by uid' }, st);
      continue;
    }
    const uid = Number(name);
    const problem = directoryProblem(st, uid);
    if (problem) {
      reject(userDir, uid, problem, st);
      continue;
    }
    scan.directories.push(userDir);
    for (const sub of listNames(userDir)) {
      const subPath = join(userDir, sub);
      const subSt = tryLstat(subPath);
      if (!subSt) continue;
      if (sub !== 'llvm' && sub !== 'gcda') {
        reject(subPath, uid, { reason: 'odd-name', detail: 'only llvm/ and gcda/ belong in a user directory' }, subSt);
        continue;
      }
      const subProblem = directoryProblem(subSt, uid);
      if (subProblem) {
        reject(subPath, uid, subProblem, subSt);
        continue;
      }
      scan.directories.push(subPath);
      if (sub === 'llvm') scanLlvm(scan, subPath, uid, reject);
      else scanGcda(scan, subPath, uid, reject);
    }
  }
  return scan;
}

type Reject = (path: string, uid: number | null, problem: { reason: QuarantineReason; detail: string }, st: Stats | null) => void;

function scanLlvm(scan: SpoolScan, dir: string, uid: number, reject: Reject): void {
  for (const name of listNames(dir)) {
    const path = join(dir, name);
    const st = tryLstat(path);
    if (!st) continue;
    if (st.isFile()) scan.totalBytes += st.size;
    const problem = fileProblem(st, uid);
    if (problem) reject(path, uid, problem, st);
    else if (!isProfrawName(name)) reject(path, uid, { reason: 'odd-name', detail: 'not a .profraw name' }, st);
    else if (st.size > 0) scan.files.push({ path, uid, format: 'llvm', size: st.size });
  }
}

function scanGcda(scan: SpoolScan, dir: string, uid: number, reject: Reject): void {
  walkGcda(scan, dir, '', uid, reject, 0);
}

function walkGcda(scan: SpoolScan, dir: string, rel: string, uid: number, reject: Reject, depth: number): void {
  scan.directories.push(dir);
  for (const name of listNames(dir)) {
    const path = join(dir, name);
    const gcdaPath = rel === '' ? name : `${rel}/${name}`;
    const st = tryLstat(path);
    if (!st) continue;
    if (st.isDirectory() && !st.isSymbolicLink()) {
      const problem = directoryProblem(st, uid);
      if (problem) reject(path, uid, problem, st);
      else if (depth >= MAX_GCDA_DEPTH || !GCDA_DIR.test(name)) reject(path, uid, { reason: 'odd-name', detail: 'unexpected directory' }, st);
      else walkGcda(scan, path, gcdaPath, uid, reject, depth + 1);
      continue;
    }
    if (st.isFile()) scan.totalBytes += st.size;
    const problem = fileProblem(st, uid);
    if (problem) reject(path, uid, problem, st);
    else if (!isGcdaName(name)) reject(path, uid, { reason: 'odd-name', detail: 'not a .gcda name' }, st);
    else if (st.size > 0) scan.files.push({ path, uid, format: 'gcda', size: st.size, gcdaPath });
  }
}
