/**
 * Lists what the spool holds, without following any symlink:
 *
 *   <spool>/llvm/*.profraw        raw profiles of every user; a file's owner is its contributor
 *   <spool>/gcda/<uid>/<path>     GCC count files of one user, below the directory their build baked in
 *   <bolt dir>/<id>.<pid>.fdata   BOLT profiles of every user (the file's owner): <spool>/bolt, and the
 *                                 directory each BOLT-instrumented build baked in
 *
 * Entries that break the layout come back as rejects with a quarantine reason.
 * Names are read as bytes: a name that is not UTF-8 is a reject too, never
 * skipped. The harvester re-checks every file on its own descriptor, because
 * the tree can change between this scan and the open.
 */
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { parseFdataName } from '../formats/fdata.js';
import type { QuarantineReason } from '../formats/quarantine-reason.js';

export type ProfileFormat = 'llvm' | 'gcda' | 'fdata';

export interface SpoolFile {
  path: string;
  /** Whose data it is: the file's owner (llvm/), or the user directory's uid (gcda/). */
  uid: number;
  format: ProfileFormat;
  size: number;
  mtimeMs: number;
  /** gcda only: the path below the user's directory, which mirrors the absolute path the build baked in. */
  gcdaPath?: string;
  /** A live raw profile (continuous collection): its programs map it; it is read by snapshots, never emptied while mapped. */
  live?: boolean;
  /** fdata only: the build id of the file that wrote it, and the pid in its name (the writer). */
  fdata?: { buildId: string; pid: number };
}

export interface SpoolReject {
  /** For records and messages: the path, with bytes that are not UTF-8 shown as \xNN. */
  path: string;
  /** The path as the file system has it (bytes when the name is not UTF-8). */
  fsPath: string | Buffer;
  uid: number | null;
  reason: QuarantineReason;
  detail: string;
  size: number;
  /** Directories are reported, never moved: they may hold a whole user's data. */
  isDirectory: boolean;
  /** A regular file with one link whose owner the layout allows: it may be kept in the quarantine. */
  keepable: boolean;
}

export interface SpoolScan {
  files: SpoolFile[];
  rejects: SpoolReject[];
  /** Bytes of every regular file seen, for the spool disk cap. */
  totalBytes: number;
  /** Directories worth watching for changes. */
  directories: string[];
}

export interface ScanOptions {
  /** Owners the spool's own directories (the root, llvm/, gcda/, bolt dirs) may have: the collector's user and root. */
  trustedOwners: ReadonlySet<number>;
  /** Directories BOLT-instrumented builds write to, besides <spool>/bolt; one that does not exist is skipped. */
  boltDirs?: readonly string[];
}

const PROFRAW_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,200}\.profraw$/;
const GCDA_NAME = /^[A-Za-z0-9#_+-][A-Za-z0-9#._+-]{0,250}\.gcda$/;
const GCDA_DIR = /^[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,200}$/;
const UID_NAME = /^(0|[1-9][0-9]{0,9})$/;
/** The name a program in continuous collection gives its profile: `live-<pid>-<signature>_<n>.profraw`. */
const LIVE_NAME = /^live-[0-9]+-[0-9]+_[0-9]+\.profraw$/;
const MAX_GCDA_DEPTH = 32;

export function isProfrawName(name: string): boolean {
  return PROFRAW_NAME.test(name);
}

export function isGcdaName(name: string): boolean {
  return GCDA_NAME.test(name) && !name.includes('..');
}

/** A directory entry: its name decoded when it is UTF-8, and its path as the file system has it. */
interface Entry {
  name: string | null;
  shown: string;
  fsPath: string | Buffer;
}

/** Bytes that are not UTF-8 as \xNN, so a name can be shown and recorded. */
function showName(raw: Buffer): string {
  let out = '';
  for (let i = 0; i < raw.length; ) {
    const rest = raw.subarray(i);
    const length = utf8SequenceLength(rest);
    if (length > 0) {
      out += rest.subarray(0, length).toString('utf8');
      i += length;
    } else {
      out += `\\x${raw[i]!.toString(16).padStart(2, '0')}`;
      i++;
    }
  }
  return out;
}

function utf8SequenceLength(bytes: Buffer): number {
  const first = bytes[0]!;
  const length =
    first < 0x80
      ? 1
      : first >= 0xc2 && first < 0xe0
        ? 2
        : first >= 0xe0 && first < 0xf0
          ? 3
          : first >= 0xf0 && first < 0xf5
            ? 4
            : 0;
  if (length === 0 || bytes.length < length) return 0;
  const candidate = bytes.subarray(0, length);
  return Buffer.from(candidate.toString('utf8'), 'utf8').equals(candidate) ? length : 0;
}

function listEntries(dir: string): Entry[] {
  let names: Buffer[];
  try {
    names = readdirSync(dir, { encoding: 'buffer' });
  } catch {
    return [];
  }
  return names
    .map((raw): Entry => {
      const decoded = raw.toString('utf8');
      const valid = Buffer.from(decoded, 'utf8').equals(raw);
      return valid
        ? { name: decoded, shown: join(dir, decoded), fsPath: join(dir, decoded) }
        : { name: null, shown: join(dir, showName(raw)), fsPath: Buffer.concat([Buffer.from(`${dir}/`), raw]) };
    })
    .sort((a, b) => (a.shown < b.shown ? -1 : a.shown > b.shown ? 1 : 0));
}

function tryLstat(path: string | Buffer): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

type Problem = { reason: QuarantineReason; detail: string };

/** A directory the harvester may trust: a real directory owned by one of `owners`. */
function directoryProblem(st: Stats, owners: ReadonlySet<number>): Problem | null {
  if (st.isSymbolicLink()) return { reason: 'symlink', detail: 'a symlink where a directory belongs' };
  if (!st.isDirectory()) return { reason: 'not-regular', detail: 'not a directory' };
  if (!owners.has(st.uid))
    return { reason: 'wrong-owner', detail: `owned by uid ${st.uid}, not ${[...owners].join(' or ')}` };
  return null;
}

/** A file that may be opened at all: regular, one link, and (when `owner` is given) owned by it. */
function fileProblem(st: Stats, owner: number | null): Problem | null {
  if (st.isSymbolicLink()) return { reason: 'symlink', detail: 'symlink' };
  if (!st.isFile()) return { reason: 'not-regular', detail: 'not a regular file' };
  if (owner !== null && st.uid !== owner)
    return { reason: 'wrong-owner', detail: `owned by uid ${st.uid}, not ${owner}` };
  if (st.nlink !== 1) return { reason: 'hard-link', detail: `${st.nlink} links` };
  return null;
}

class Scanner {
  readonly scan: SpoolScan = { files: [], rejects: [], totalBytes: 0, directories: [] };

  constructor(private readonly options: ScanOptions) {}

  reject(entry: Entry, uid: number | null, problem: Problem, st: Stats | null, ownerOk = true): void {
    const regular = st?.isFile() ?? false;
    this.scan.rejects.push({
      path: entry.shown,
      fsPath: entry.fsPath,
      uid,
      ...problem,
      size: regular ? st!.size : 0,
      isDirectory: st?.isDirectory() ?? false,
      keepable: regular && ownerOk && st!.nlink === 1,
    });
  }

  root(spoolDir: string): void {
    this.scan.directories.push(spoolDir);
    for (const entry of listEntries(spoolDir)) {
      const st = tryLstat(entry.fsPath);
      if (!st) continue;
      if (entry.name !== 'llvm' && entry.name !== 'gcda' && entry.name !== 'bolt') {
        this.reject(entry, null, { reason: 'odd-name', detail: 'only llvm/, gcda/ and bolt/ belong in the spool' }, st);
        continue;
      }
      const problem = directoryProblem(st, this.options.trustedOwners);
      if (problem) this.reject(entry, st.uid, problem, st, false);
      else if (entry.name === 'llvm') this.llvm(entry.shown);
      else if (entry.name === 'gcda') this.gcdaRoot(entry.shown);
      else this.bolt(entry.shown);
    }
  }

  /** A BOLT directory outside the spool: scanned only when it is a directory the collector or root owns. */
  boltDir(dir: string): void {
    if (this.scan.directories.includes(dir)) return;
    const st = tryLstat(dir);
    if (!st) return;
    const problem = directoryProblem(st, this.options.trustedOwners);
    if (problem) {
      const entry: Entry = { name: null, shown: dir, fsPath: dir };
      this.reject(entry, st.uid, problem, st, false);
    } else this.bolt(dir);
  }

  private bolt(dir: string): void {
    this.flat(dir, 'not a <build id>.<pid>.fdata name', (name) => {
      const fdata = parseFdataName(name);
      return fdata && { format: 'fdata', fdata };
    });
  }

  private llvm(dir: string): void {
    this.flat(dir, 'not a .profraw name', (name) =>
      isProfrawName(name) ? { format: 'llvm', ...(LIVE_NAME.test(name) ? { live: true } : {}) } : null,
    );
  }

  /** A directory every user writes files into by name (llvm/, bolt/): each file's owner is its contributor. */
  private flat(
    dir: string,
    oddName: string,
    accept: (name: string) => Pick<SpoolFile, 'format' | 'live' | 'fdata'> | null,
  ): void {
    this.scan.directories.push(dir);
    for (const entry of listEntries(dir)) {
      const st = tryLstat(entry.fsPath);
      if (!st) continue;
      if (st.isFile()) this.scan.totalBytes += st.size;
      const problem = fileProblem(st, null);
      const accepted = entry.name === null ? null : accept(entry.name);
      if (problem) this.reject(entry, st.uid, problem, st, false);
      else if (accepted === null) this.reject(entry, st.uid, { reason: 'odd-name', detail: oddName }, st);
      else this.scan.files.push({ path: entry.shown, uid: st.uid, size: st.size, mtimeMs: st.mtimeMs, ...accepted });
    }
  }

  private gcdaRoot(dir: string): void {
    this.scan.directories.push(dir);
    for (const entry of listEntries(dir)) {
      const st = tryLstat(entry.fsPath);
      if (!st) continue;
      if (entry.name === null || !UID_NAME.test(entry.name)) {
        this.reject(
          entry,
          null,
          { reason: 'odd-name', detail: 'gcda/ holds one directory per user, named by uid' },
          st,
        );
        continue;
      }
      const uid = Number(entry.name);
      const problem = directoryProblem(st, new Set([uid]));
      if (problem) this.reject(entry, uid, problem, st, false);
      else this.gcdaTree(entry.shown, '', uid, 0);
    }
  }

  private gcdaTree(dir: string, rel: string, uid: number, depth: number): void {
    this.scan.directories.push(dir);
    for (const entry of listEntries(dir)) {
      const st = tryLstat(entry.fsPath);
      if (!st) continue;
      const gcdaPath = entry.name === null ? null : rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (st.isDirectory() && !st.isSymbolicLink()) {
        const problem = directoryProblem(st, new Set([uid]));
        if (problem) this.reject(entry, uid, problem, st, false);
        else if (depth >= MAX_GCDA_DEPTH || entry.name === null || !GCDA_DIR.test(entry.name))
          this.reject(entry, uid, { reason: 'odd-name', detail: 'unexpected directory' }, st);
        else this.gcdaTree(entry.shown, gcdaPath!, uid, depth + 1);
        continue;
      }
      if (st.isFile()) this.scan.totalBytes += st.size;
      const problem = fileProblem(st, uid);
      if (problem) this.reject(entry, uid, problem, st, false);
      else if (entry.name === null || !isGcdaName(entry.name))
        this.reject(entry, uid, { reason: 'odd-name', detail: 'not a .gcda name' }, st);
      else if (st.size > 0)
        this.scan.files.push({
          path: entry.shown,
          uid,
          format: 'gcda',
          size: st.size,
          mtimeMs: st.mtimeMs,
          gcdaPath: gcdaPath!,
        });
    }
  }
}

export function scanSpool(spoolDir: string, options: ScanOptions): SpoolScan {
  const scanner = new Scanner(options);
  scanner.root(spoolDir);
  for (const dir of options.boltDirs ?? []) scanner.boltDir(dir);
  return scanner.scan;
}
