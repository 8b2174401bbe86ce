/**
 * Lists what the spool holds (layout v2), without following any symlink:
 *
 *   <spool>/llvm/<uid>/*.profraw             raw profiles of one user
 *   <spool>/gcda/<uid>/<path>                GCC count files of one user, below the directory their build baked in
 *   <bolt dir>/<uid>/<id>.<pid>.fdata        BOLT profiles of one user: <spool>/bolt, and the directory each
 *                                            BOLT-instrumented build baked in
 *
 * `<uid>` may also be `<uid>.<6 characters>`: the writer's fallback when its
 * name was taken. A user directory counts only when it is a real directory
 * (lstat, then fstat on a descriptor opened with O_NOFOLLOW) owned by the uid
 * it is named after, and only files that uid owns are taken from it: the
 * contributor is the directory's owner. Any other entry comes back as a
 * reject with a quarantine reason (a user's name taken by someone else is a
 * squat: whose, by whom). Names are read as bytes: a name that is not UTF-8
 * is a reject too, never skipped. The harvester re-checks every file on its
 * own descriptor, because the tree can change between this scan and the open.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseFdataName } from '../formats/fdata.js';
import type { QuarantineReason } from '../formats/quarantine-reason.js';

export type ProfileFormat = 'llvm' | 'gcda' | 'fdata';

export interface SpoolFile {
  path: string;
  /** Whose data it is: the uid of the user directory it is in, which owns both the directory and the file. */
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
  /** In a directory this collector owns (a `<fmt>/` of its spool): it may be moved out of the way. */
  movable: boolean;
  /** A user directory's name (`<fmt>/<uid>` or `<uid>.XXXXXX`) taken by another user, or not by a directory. */
  squat?: Squat;
}

export interface Squat {
  /** The directory it is in: `<spool>/llvm`, `<spool>/gcda`, or a BOLT directory. */
  dir: string;
  /** Whose name it is. */
  uid: number;
  /** Who owns what stands there. */
  by: number;
}

export interface SpoolScan {
  files: SpoolFile[];
  rejects: SpoolReject[];
  /** Bytes allocated to every regular file seen (a sparse file counts what it takes on disk), for the spool disk cap. */
  totalBytes: number;
  /** Directories worth watching for changes. */
  directories: string[];
  /** Entries this collector moved out of the way in an earlier pass (named by asideName), left for an administrator. */
  movedAside: string[];
}

export interface ScanOptions {
  /** Owners the spool's own directories (the root, llvm/, gcda/, bolt dirs) may have: the collector's user and root. */
  trustedOwners: ReadonlySet<number>;
  /** Directories BOLT-instrumented builds write to, besides <spool>/bolt; one that does not exist is skipped. */
  boltDirs?: readonly string[];
  /** The collector's own uid: entries of a `<fmt>/` it owns may be moved out of the way. */
  selfUid?: number;
  /** Users whose directories are looked up by name in a `<fmt>/` the collector may not list. */
  knownUids?: readonly number[];
}

const PROFRAW_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,200}\.profraw$/;
const GCDA_NAME = /^[A-Za-z0-9#_+-][A-Za-z0-9#._+-]{0,250}\.gcda$/;
const GCDA_DIR = /^[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,200}$/;
/** A user directory: its owner's uid, or the writer's fallback `<uid>.XXXXXX` when that name was taken. */
const USER_DIR_NAME = /^(0|[1-9][0-9]{0,9})(\.[A-Za-z0-9]{6})?$/;
/** What a squatted entry is renamed to in its own directory; the scan passes over such names. */
const ASIDE_PREFIX = '.nix-pgo-moved-';
/** The name a program in continuous collection gives its profile: `live-<pid>-<signature>_<n>.profraw`. */
const LIVE_NAME = /^live-[0-9]+-[0-9]+_[0-9]+\.profraw$/;
const MAX_GCDA_DEPTH = 32;

/** The name an entry of `<fmt>/` is moved to, in the same directory: a directory of another user cannot change parent. */
export function asideName(path: string): string {
  return join(
    dirname(path),
    `${ASIDE_PREFIX}${basename(path).replace(/[^A-Za-z0-9._-]/g, '_')}-${Date.now().toString(36)}`,
  );
}

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

/**
 * The entries of `dir`, read through `listFrom` when given (the directory as a checked descriptor holds it);
 * null when it cannot be listed.
 */
function listEntries(dir: string, listFrom: string = dir): Entry[] | null {
  let names: Buffer[];
  try {
    names = readdirSync(listFrom, { encoding: 'buffer' });
  } catch {
    return null;
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

/** Opens a user directory without following a symlink and checks, on the descriptor, that it is what lstat saw. */
function openUserDir(path: string | Buffer, seen: Stats): number | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  const st = fstatSync(fd);
  if (st.isDirectory() && st.uid === seen.uid && st.ino === seen.ino && st.dev === seen.dev) return fd;
  closeSync(fd);
  return null;
}

class Scanner {
  readonly scan: SpoolScan = { files: [], rejects: [], totalBytes: 0, directories: [], movedAside: [] };

  constructor(private readonly options: ScanOptions) {}

  reject(
    entry: Entry,
    uid: number | null,
    problem: Problem,
    st: Stats | null,
    ownerOk = true,
    extra: { movable?: boolean; squat?: Squat } = {},
  ): void {
    const regular = st?.isFile() ?? false;
    this.scan.rejects.push({
      path: entry.shown,
      fsPath: entry.fsPath,
      uid,
      ...problem,
      size: regular ? st!.size : 0,
      isDirectory: st?.isDirectory() ?? false,
      keepable: regular && ownerOk && st!.nlink === 1,
      movable: extra.movable ?? false,
      ...(extra.squat ? { squat: extra.squat } : {}),
    });
  }

  root(spoolDir: string): void {
    this.scan.directories.push(spoolDir);
    for (const entry of listEntries(spoolDir) ?? []) {
      const st = tryLstat(entry.fsPath);
      if (!st) continue;
      if (entry.name !== 'llvm' && entry.name !== 'gcda' && entry.name !== 'bolt') {
        this.reject(entry, null, { reason: 'odd-name', detail: 'only llvm/, gcda/ and bolt/ belong in the spool' }, st);
        continue;
      }
      const problem = directoryProblem(st, this.options.trustedOwners);
      if (problem) this.reject(entry, st.uid, problem, st, false);
      else this.formatDir(entry.shown, entry.name === 'bolt' ? 'fdata' : entry.name, st);
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
    } else this.formatDir(dir, 'fdata', st);
  }

  /** `<fmt>/`: one directory per user, each owned by the uid it is named after; nothing else. */
  private formatDir(dir: string, format: ProfileFormat, dirStat: Stats): void {
    this.scan.directories.push(dir);
    const movable = this.options.selfUid !== undefined && dirStat.uid === this.options.selfUid;
    // A `<fmt>/` of another owner (1733: nobody else may list it) still holds the trusted users' directories by name.
    const entries =
      listEntries(dir) ??
      (this.options.knownUids ?? []).map(
        (uid): Entry => ({ name: String(uid), shown: join(dir, String(uid)), fsPath: join(dir, String(uid)) }),
      );
    for (const entry of entries) {
      const st = tryLstat(entry.fsPath);
      if (!st) continue;
      if (st.isFile()) this.scan.totalBytes += allocated(st);
      if (entry.name?.startsWith(ASIDE_PREFIX)) {
        this.scan.movedAside.push(entry.shown);
        continue;
      }
      const match = entry.name === null ? null : USER_DIR_NAME.exec(entry.name);
      if (match === null) {
        const detail = `${basename(dir)}/ holds one directory per user, named by uid`;
        this.reject(entry, st.uid, { reason: 'odd-name', detail }, st, true, { movable });
        continue;
      }
      const uid = Number(match[1]);
      if (st.isDirectory() && !st.isSymbolicLink() && st.uid === uid) {
        const fd = openUserDir(entry.fsPath, st);
        if (fd === null) continue; // Swapped since the lstat: the next scan sees what stands there now.
        try {
          this.userDir(entry.shown, `/proc/self/fd/${fd}`, uid, format);
        } finally {
          closeSync(fd);
        }
        continue;
      }
      const what = st.isSymbolicLink() ? 'a symlink' : st.isDirectory() ? 'a directory' : 'a file';
      this.reject(
        entry,
        st.uid,
        { reason: 'squatted', detail: `uid ${uid}'s directory name is taken: ${what} owned by uid ${st.uid}` },
        st,
        false,
        { movable, squat: { dir, uid, by: st.uid } },
      );
    }
  }

  private userDir(dir: string, listFrom: string, uid: number, format: ProfileFormat): void {
    if (format === 'gcda') {
      this.gcdaTree(dir, '', uid, 0, listFrom);
      return;
    }
    this.scan.directories.push(dir);
    for (const entry of listEntries(dir, listFrom) ?? []) {
      const st = tryLstat(entry.fsPath);
      if (!st) continue;
      if (st.isFile()) this.scan.totalBytes += allocated(st);
      const problem = fileProblem(st, uid);
      const accepted = entry.name === null ? null : acceptName(format, entry.name);
      if (problem) this.reject(entry, uid, problem, st, false);
      else if (accepted === null)
        this.reject(entry, uid, { reason: 'odd-name', detail: ODD_NAME[format] }, st, st.uid === uid);
      else this.scan.files.push({ path: entry.shown, uid, size: st.size, mtimeMs: st.mtimeMs, ...accepted });
    }
  }

  private gcdaTree(dir: string, rel: string, uid: number, depth: number, listFrom: string = dir): void {
    this.scan.directories.push(dir);
    for (const entry of listEntries(dir, listFrom) ?? []) {
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
      if (st.isFile()) this.scan.totalBytes += allocated(st);
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

const ODD_NAME: Record<ProfileFormat, string> = {
  llvm: 'not a .profraw name',
  fdata: 'not a <build id>.<pid>.fdata name',
  gcda: 'not a .gcda name',
};

function acceptName(format: ProfileFormat, name: string): Pick<SpoolFile, 'format' | 'live' | 'fdata'> | null {
  if (format === 'fdata') {
    const fdata = parseFdataName(name);
    return fdata && { format: 'fdata', fdata };
  }
  return isProfrawName(name) ? { format: 'llvm', ...(LIVE_NAME.test(name) ? { live: true } : {}) } : null;
}

/** What a file takes on disk: a sparse file of a huge apparent size may take nothing. */
function allocated(st: Stats): number {
  return st.blocks * 512;
}

export function scanSpool(spoolDir: string, options: ScanOptions): SpoolScan {
  const scanner = new Scanner(options);
  scanner.root(spoolDir);
  for (const dir of options.boltDirs ?? []) scanner.boltDir(dir);
  return scanner.scan;
}
