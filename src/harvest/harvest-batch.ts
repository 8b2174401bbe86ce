/**
 * Takes a batch of spool files with the protocol that loses nothing (see
 * docs/harvest.md): lock → copy → (copies durable, journal committed) → settle
 * (truncate a gcda file; unlink a raw profile and keep its descriptor to
 * drain; unlink a BOLT profile) → confirm → unlock. A program finishing
 * meanwhile waits on the lock and then writes into the empty or unlinked
 * file, which a later pass takes. BOLT profiles have no lock: they come here
 * only once their writer is gone (fdata-writers.ts). A kill at any point is
 * repaired by recoverHarvests().
 */
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, fstatSync, lstatSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { getSystemErrorName } from 'node:util';
import { StateError } from '../errors/errors.js';
import {
  copyDurable,
  eachFileSideBySide,
  fsyncPath,
  settleAll,
  truncateToZero,
  writeDurableAll,
} from '../durable/durable-file.js';
import { FdataReader } from '../formats/fdata.js';
import { faultPoint } from '../durable/fault-points.js';
import { lockWrite, settleUnlinked, syncFileSystemAsync, unlockFile } from '../durable/record-lock.js';
import type { QuarantineReason } from '../formats/quarantine-reason.js';
import type { Quarantine } from '../quarantine/quarantine.js';
import type { SpoolFile } from '../spool/scan.js';
import type { Db } from '../state/database.js';
import { beginHarvest, confirmHarvest, type NewStaged, type TakeRecord } from '../state/harvest-journal.js';
import type { QuarantineRecord } from '../state/quarantine-records.js';
import type { Attribution } from './attribution.js';
import type { DrainList } from './drain-list.js';
import { openSpoolFile, readWhole, takeSpoolFiles } from './open-spool-file.js';
import { planStreamedFdata, planTake, type TakePlan } from './plan-take.js';

export interface HarvestLimits {
  maxFileBytes: number;
  lockTimeoutMs: number;
  /** An empty raw profile older than this is removed (a process that never wrote, or a leftover). */
  emptyGraceMs: number;
  /** An unlinked raw profile is watched this long after it last held data. */
  drainMs: number;
}

export interface HarvestContext {
  db: Db;
  stagingDir: string;
  attribution: Attribution;
  quarantine: Quarantine;
  limits: HarvestLimits;
  drain: DrainList;
  now: () => number;
}

export interface BatchReport {
  taken: number;
  bytes: number;
  busy: number;
  quarantined: number;
  /** Packages that received staged input. */
  packages: Set<string>;
}

interface Held {
  file: SpoolFile;
  /** What the journal names as the source (an unlinked file gets a note: it cannot be opened again). */
  sourcePath: string;
  fd: number;
  dev: bigint;
  ino: bigint;
  bytes: Buffer;
  /** A BOLT profile copied to staging as it was read (never whole in memory): its length and SHA-256. */
  streamed: { length: number; sha256: string } | null;
  plan: TakePlan;
  settle: TakeRecord['settle'];
  /** Whether this process holds the file's write lock (a BOLT profile is read without one). */
  locked: boolean;
  /** Unlinked and handed to the drain list, which keeps the descriptor open. */
  handedOff: boolean;
}

export function emptyReport(): BatchReport {
  return { taken: 0, bytes: 0, busy: 0, quarantined: 0, packages: new Set() };
}

export async function harvestBatch(ctx: HarvestContext, files: readonly SpoolFile[]): Promise<BatchReport> {
  const report = emptyReport();
  const held: Held[] = [];
  try {
    // A young empty raw profile may be a run that has not written yet; an old one is swept below.
    const wanted = files.filter(
      (file) => !(file.size === 0 && file.format === 'llvm' && ctx.now() - file.mtimeMs < ctx.limits.emptyGraceMs),
    );
    const lockable = wanted.filter((file) => file.format !== 'fdata');
    const taken = await takeSpoolFiles(lockable, ctx.limits.maxFileBytes);
    // Every descriptor is held first, so whatever throws below, release() closes them all.
    const opened = lockable.flatMap((file, i) => {
      const t = taken[i]!;
      return t.ok ? [{ t, entry: holdFile(file, t.fd, t.dev, t.ino, t.locked) }] : [];
    });
    held.push(...opened.map((o) => o.entry));
    for (const [i, file] of lockable.entries()) {
      const t = taken[i]!;
      if (!t.ok) recordRefused(ctx, file, t, report);
    }
    const waiting: Held[] = [];
    for (const { t, entry } of opened) {
      if (!t.locked) waiting.push(entry);
      else if (t.bytes === null) entry.plan = overTheCap(t.size, ctx.limits.maxFileBytes);
      else {
        entry.bytes = t.bytes;
        entry.plan = planTake(entry.file, t.bytes, ctx.attribution);
      }
    }
    // Files a program was writing when they were opened: wait for each, up to the lock timeout.
    for (const entry of waiting) {
      if (!(await lockWrite(entry.fd, ctx.limits.lockTimeoutMs))) {
        held.splice(held.indexOf(entry), 1);
        closeSync(entry.fd);
        report.busy++;
        continue;
      }
      entry.locked = true;
      Object.assign(entry, readLocked(ctx, entry.file, entry.fd, fstatSync(entry.fd).size));
    }
    for (const file of wanted.filter((f) => f.format === 'fdata')) {
      const opened = openSpoolFile(file.path, file.uid, 'read');
      if (!opened.ok) {
        recordRefused(ctx, file, opened, report);
        continue;
      }
      const entry = holdFile(file, opened.fd, opened.stat.dev, opened.stat.ino, false);
      held.push(entry);
      const size = Number(opened.stat.size);
      if (size > ctx.limits.maxFileBytes) {
        entry.plan = overTheCap(size, ctx.limits.maxFileBytes);
        continue;
      }
      // Its writer is gone and it takes no lock: it is checked while it is copied, a chunk at a time.
      const path = join(ctx.stagingDir, `${randomUUID()}.fdata`);
      const check = new FdataReader();
      const hash = createHash('sha256');
      const length = copyDurable(opened.fd, path, (chunk) => {
        check.feed(chunk);
        hash.update(chunk);
      });
      entry.streamed = { length, sha256: hash.digest('hex') };
      entry.plan = planStreamedFdata(file, check.end(), { path, length }, ctx.attribution);
    }
    await takeHeld(ctx, held, report);
    return report;
  } finally {
    release(held);
  }
}

function holdFile(file: SpoolFile, fd: number, dev: bigint, ino: bigint, locked: boolean): Held {
  return {
    file,
    sourcePath: file.path,
    fd,
    dev,
    ino,
    bytes: Buffer.alloc(0),
    streamed: null,
    plan: { pieces: [], quarantine: [] },
    settle: file.format === 'llvm' ? 'unlink' : file.format === 'fdata' ? 'remove' : 'truncate',
    locked,
    handedOff: false,
  };
}

/** A file we hold the lock of, `size` long now: read whole and planned, or over the cap and not read. */
function readLocked(ctx: HarvestContext, file: SpoolFile, fd: number, size: number): { bytes: Buffer; plan: TakePlan } {
  if (size > ctx.limits.maxFileBytes)
    return { bytes: Buffer.alloc(0), plan: overTheCap(size, ctx.limits.maxFileBytes) };
  const bytes = readWhole(fd);
  return { bytes, plan: planTake(file, bytes, ctx.attribution) };
}

/** Over the cap the bytes are dropped rather than copied: keeping them would defeat the cap. */
function overTheCap(size: number, cap: number): TakePlan {
  return {
    pieces: [],
    quarantine: [{ reason: 'too-large', detail: `${size} bytes, cap ${cap}`, package: null, bytes: Buffer.alloc(0) }],
  };
}

/**
 * A file that could not be opened as it should be. Only recorded: the scan's lstat saw a good file, so the tree
 * changed under us, and moving by a path whose directories may have been swapped could move another user's file.
 * The next scan deals with it. One that is merely gone is not even recorded.
 */
function recordRefused(
  ctx: HarvestContext,
  file: SpoolFile,
  refused: { reason: QuarantineReason | null; detail: string },
  report: BatchReport,
): void {
  if (refused.reason === null) return;
  ctx.quarantine.record({
    reason: refused.reason,
    sourcePath: file.path,
    uid: file.uid,
    package: null,
    detail: refused.detail,
    keptPath: null,
    bytes: file.size,
  });
  report.quarantined++;
}

/** Takes whatever unlinked raw profiles received since, and forgets those that stayed empty long enough. */
export async function drainUnlinked(ctx: HarvestContext): Promise<BatchReport> {
  const report = emptyReport();
  const held: Held[] = [];
  try {
    for (const entry of ctx.drain.list()) {
      if (!(await lockWrite(entry.fd, Math.min(ctx.limits.lockTimeoutMs, 100)))) continue;
      const size = fstatSync(entry.fd).size;
      if (size === 0) {
        unlockFile(entry.fd);
        if (ctx.now() - entry.lastDataMs >= ctx.limits.drainMs) ctx.drain.remove(entry);
        continue;
      }
      entry.lastDataMs = ctx.now();
      const { bytes, plan } = readLocked(ctx, entry.file, entry.fd, size);
      held.push({
        file: entry.file,
        sourcePath: `${entry.file.path} (unlinked)`,
        fd: entry.fd,
        dev: entry.dev,
        ino: entry.ino,
        bytes,
        streamed: null,
        plan,
        settle: 'truncate',
        locked: true,
        handedOff: true,
      });
    }
    await takeHeld(ctx, held, report);
    return report;
  } finally {
    for (const h of held) unlockFile(h.fd);
  }
}

/** Copies, journals and settles the held files (all locked), then confirms. */
async function takeHeld(ctx: HarvestContext, held: Held[], report: BatchReport): Promise<void> {
  // Unlinking an empty old raw profile needs no journal: nothing is copied (it was read whole under the lock).
  await unlinkHeld(
    ctx,
    held.filter((h) => h.settle === 'unlink' && !h.handedOff && h.bytes.length === 0 && h.plan.quarantine.length === 0),
  );
  const work = held.filter((h) => h.bytes.length > 0 || h.streamed !== null || h.plan.quarantine.length > 0);
  if (work.length === 0) return;

  const quarantineRows: QuarantineRecord[] = [];
  const { staged, takes, writes } = stageCopies(ctx, work);
  await writeDurableAll(ctx.stagingDir, writes);
  for (const h of work) {
    for (const q of h.plan.quarantine) {
      const keptPath = q.staged
        ? ctx.quarantine.keepFile(h.file.path, q.staged.path, q.staged.length)
        : q.bytes.length > 0
          ? ctx.quarantine.keepCopy(h.file.path, q.bytes)
          : null;
      quarantineRows.push({
        reason: q.reason,
        sourcePath: h.sourcePath,
        uid: h.file.uid,
        package: q.package,
        detail: q.detail,
        keptPath,
        bytes: q.staged?.length ?? q.bytes.length,
      });
      report.quarantined++;
    }
  }
  // Copies streamed while reading (BOLT profiles) were flushed then, their names were not.
  if (work.some((h) => h.streamed !== null)) fsyncPath(ctx.stagingDir);
  faultPoint('harvest:copied');
  const harvestId = beginHarvest(ctx.db, takes, staged, quarantineRows);
  faultPoint('harvest:journaled');
  // Every operation ends before a failure is thrown: release() must not close a descriptor one still uses.
  await settleAll([
    unlinkHeld(
      ctx,
      work.filter((h) => h.settle === 'unlink' && !h.handedOff),
    ),
    eachFileSideBySide(
      work.filter((h) => h.settle !== 'unlink' || h.handedOff),
      async (h) => {
        if (h.settle === 'remove') unlinkSamePath(h.file.path, h.dev, h.ino);
        else await truncateToZero(h.fd);
      },
    ),
  ]);
  // One flush per file system makes every truncation and unlink durable before the journal says they happened.
  await syncFileSystems(work);
  faultPoint('harvest:truncated');
  confirmHarvest(ctx.db, harvestId);
  faultPoint('harvest:confirmed');
  for (const s of staged) report.packages.add(s.package);
  for (const h of work) {
    report.taken++;
    report.bytes += h.streamed?.length ?? h.bytes.length;
  }
}

/**
 * Unlinks held raw profiles by their paths (where a path still names the file), empties them and hands their
 * descriptors to the drain list: a program that opened one before the unlink then writes into an empty file we
 * still hold. Throws, after handing off every other file, when one could not be emptied.
 */
async function unlinkHeld(ctx: HarvestContext, hs: readonly Held[]): Promise<void> {
  if (hs.length === 0) return;
  const errnos = await settleUnlinked(hs.map((h) => ({ path: h.file.path, fd: h.fd, dev: h.dev, ino: h.ino })));
  let failure: { path: string; errno: number } | undefined;
  for (const [i, h] of hs.entries()) {
    const errno = errnos[i]!;
    if (errno === 0) {
      ctx.drain.add({ fd: h.fd, file: h.file, dev: h.dev, ino: h.ino, lastDataMs: ctx.now() });
      h.handedOff = true;
    } else failure ??= { path: h.file.path, errno };
  }
  if (failure) {
    throw new StateError(
      'STATE',
      `cannot empty ${failure.path} after unlinking it: ${getSystemErrorName(-failure.errno)}`,
      {
        hints: ["check the spool's file system (its kernel log); the next pass finishes this harvest from its journal"],
      },
    );
  }
}

/** Unlinks `path` if it still names the file we hold (a program may have created a new one there since). */
export function unlinkSamePath(path: string, dev: bigint, ino: bigint): void {
  try {
    const st = lstatSync(path, { bigint: true });
    if (st.dev === dev && st.ino === ino) unlinkSync(path);
  } catch {
    // Already gone: nothing to unlink.
  }
}

/** Flushes each file system the held files are on (a BOLT directory may be on another than the spool's). */
async function syncFileSystems(held: readonly Held[]): Promise<void> {
  const oneOfEach = new Map<bigint, Held>();
  for (const h of held) if (!oneOfEach.has(h.dev)) oneOfEach.set(h.dev, h);
  for (const h of oneOfEach.values()) await syncFileSystemAsync(h.fd);
}

/** Unlocks every held file; closes those the drain list did not take (closing any descriptor would drop its lock). */
function release(held: readonly Held[]): void {
  for (const h of held) {
    if (h.locked) unlockFile(h.fd);
    if (!h.handedOff) closeSync(h.fd);
  }
}

/** Plans the copies, written by the caller side by side: one staging file per package and contributor for raw profiles (llvm-profdata reads concatenated ones), one per gcda or fdata file. */
function stageCopies(
  ctx: HarvestContext,
  work: readonly Held[],
): { staged: NewStaged[]; takes: TakeRecord[]; writes: { path: string; bytes: Buffer | Buffer[] }[] } {
  const staged: NewStaged[] = [];
  const takes: TakeRecord[] = [];
  const writes: { path: string; bytes: Buffer | Buffer[] }[] = [];
  const llvmGroups = new Map<
    string,
    {
      pkg: string;
      contributor: number;
      path: string;
      chunks: Buffer[];
      offset: number;
      files: number;
      runs: Record<string, number>;
      mass: number;
    }
  >();
  for (const h of work) {
    const take: TakeRecord = {
      sourcePath: h.sourcePath,
      uid: h.file.uid,
      dev: String(h.dev),
      ino: String(h.ino),
      size: h.streamed?.length ?? h.bytes.length,
      sha256: h.streamed?.sha256 ?? createHash('sha256').update(h.bytes).digest('hex'),
      pieces: [],
      settle: h.settle,
    };
    takes.push(take);
    for (const piece of h.plan.pieces) {
      if (piece.staged) {
        staged.push({
          package: piece.package,
          kind: h.file.format,
          path: piece.staged.path,
          relPath: piece.relPath ?? null,
          bytes: piece.staged.length,
          files: 1,
          contributor: h.file.uid,
          runs: piece.runs,
          mass: piece.mass,
        });
        take.pieces.push({ path: piece.staged.path, offset: 0, length: piece.staged.length });
        continue;
      }
      if (h.file.format === 'gcda' || h.file.format === 'fdata') {
        const path = join(ctx.stagingDir, `${randomUUID()}.${h.file.format}`);
        writes.push({ path, bytes: piece.bytes });
        staged.push({
          package: piece.package,
          kind: h.file.format,
          path,
          relPath: piece.relPath ?? null,
          bytes: piece.bytes.length,
          files: 1,
          contributor: h.file.uid,
          runs: piece.runs,
          mass: piece.mass,
        });
        take.pieces.push({ path, offset: 0, length: piece.bytes.length });
        continue;
      }
      const key = `${piece.package}\0${h.file.uid}`;
      let group = llvmGroups.get(key);
      if (!group) {
        group = {
          pkg: piece.package,
          contributor: h.file.uid,
          path: join(ctx.stagingDir, `${randomUUID()}.profraw`),
          chunks: [],
          offset: 0,
          files: 0,
          runs: {},
          mass: 0,
        };
        llvmGroups.set(key, group);
      }
      take.pieces.push({ path: group.path, offset: group.offset, length: piece.bytes.length });
      group.chunks.push(piece.bytes);
      group.offset += piece.bytes.length;
      group.files++;
      for (const [unit, runs] of Object.entries(piece.runs)) group.runs[unit] = (group.runs[unit] ?? 0) + runs;
      group.mass += piece.mass;
    }
  }
  for (const group of llvmGroups.values()) {
    writes.push({ path: group.path, bytes: group.chunks });
    staged.push({
      package: group.pkg,
      kind: 'llvm',
      path: group.path,
      relPath: null,
      bytes: group.offset,
      files: group.files,
      contributor: group.contributor,
      runs: group.runs,
      mass: group.mass,
    });
  }
  return { staged, takes, writes };
}
