/**
 * Repairs what a killed engine left behind, before anything else runs:
 * unfinished harvests are settled exactly where that is decidable, and files
 * no row points to (half-written copies, merge outputs never committed) go.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  ftruncateSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
} from 'node:fs';
import { unlinkSamePath } from './harvest-batch.js';
import { join } from 'node:path';
import type { Db } from '../state/database.js';
import {
  confirmHarvest,
  shrinkStaged,
  stagedOfHarvest,
  unfinishedHarvests,
  type TakeRecord,
  allStagedPaths,
} from '../state/harvest-journal.js';
import { writeDurable } from '../durable/durable-file.js';
import { parseRawProfile } from '../formats/raw-profile.js';
import type { DrainList } from './drain-list.js';
import { openSpoolFile, readWhole } from './open-spool-file.js';
import { measureRaw } from './plan-take.js';
import type { Quarantine } from '../quarantine/quarantine.js';
import { faultPoint } from '../durable/fault-points.js';
import { lockWrite, syncFileSystem, unlockFile } from '../durable/record-lock.js';

export type TakeVerdict = 'keep' | 'settle-now' | 'exclude' | 'defer';

/**
 * Pure decision for one take of an unfinished harvest, given what the source holds now.
 * Unchanged bytes: the truncation or unlink never happened, do it now. Empty or gone: it happened.
 * Anything else is ambiguous (a program wrote after the crash): the copy is excluded, so a
 * run is never counted twice; it is kept in quarantine for inspection.
 */
export function judgeTake(
  take: TakeRecord,
  now: { sameFile: boolean; size: number; sha256: string | null },
): TakeVerdict {
  if (!now.sameFile) return 'keep';
  if (now.size === 0) return 'keep';
  if (now.sha256 === take.sha256 && now.size === take.size) return 'settle-now';
  return 'exclude';
}

export interface RecoveryContext {
  db: Db;
  quarantine: Quarantine;
  lockTimeoutMs: number;
  /** Receives the descriptors of raw profiles unlinked now, as a harvest would. */
  drain: DrainList;
  now: () => number;
}

export async function recoverHarvests(
  ctx: RecoveryContext,
): Promise<{ settled: number; excluded: number; deferred: number }> {
  const { db, quarantine, lockTimeoutMs } = ctx;
  let settled = 0;
  let excluded = 0;
  let deferred = 0;
  for (const harvest of unfinishedHarvests(db)) {
    const excludedTakes: TakeRecord[] = [];
    const held: HeldSource[] = [];
    try {
      const verdicts: TakeVerdict[] = [];
      for (const take of harvest.takes) {
        const verdict = await inspectSource(take, lockTimeoutMs, held);
        verdicts.push(verdict);
        if (verdict === 'exclude') excludedTakes.push(take);
        if (verdict === 'defer') break;
      }
      if (verdicts.includes('defer')) {
        // Nothing has been truncated yet, so the whole harvest can be judged again on a later pass.
        deferred++;
        continue;
      }
      for (const h of held) if (h.verdict === 'settle-now') settle(ctx, h);
      faultPoint('recover:judged');
      if (excludedTakes.length > 0) excluded += excludeTakes(db, quarantine, harvest.id, harvest.takes, excludedTakes);
      if (held.length > 0) syncFileSystem(held[0]!.fd);
      confirmHarvest(db, harvest.id);
      settled++;
    } finally {
      for (const h of held) {
        if (h.locked) unlockFile(h.fd);
        if (!h.handedOff) closeSync(h.fd);
      }
    }
  }
  return { settled, excluded, deferred };
}

interface HeldSource {
  fd: number;
  verdict: TakeVerdict;
  take: TakeRecord;
  dev: bigint;
  ino: bigint;
  /** Whether we hold its write lock (BOLT profiles have none). */
  locked: boolean;
  handedOff: boolean;
}

/** Finishes what the killed harvest journaled: truncates a gcda file, unlinks a raw profile and drains it, or unlinks a BOLT profile. */
function settle(ctx: RecoveryContext, h: HeldSource): void {
  if (h.take.settle === 'truncate') {
    ftruncateSync(h.fd, 0);
    return;
  }
  if (h.take.settle === 'remove') {
    unlinkSamePath(h.take.sourcePath, h.dev, h.ino);
    return;
  }
  ftruncateSync(h.fd, 0);
  unlinkSync(h.take.sourcePath);
  ctx.drain.add({
    fd: h.fd,
    file: { path: h.take.sourcePath, uid: h.take.uid, format: 'llvm', size: 0, mtimeMs: 0 },
    dev: h.dev,
    ino: h.ino,
    lastDataMs: ctx.now(),
  });
  h.handedOff = true;
}

async function inspectSource(take: TakeRecord, lockTimeoutMs: number, held: HeldSource[]): Promise<TakeVerdict> {
  // A BOLT profile's writer was gone when it was taken: there is no lock to wait for, and it is only read.
  const unlocked = take.settle === 'remove';
  const opened = openSpoolFile(take.sourcePath, take.uid, unlocked ? 'read' : 'read-write');
  if (!opened.ok) return judgeTake(take, { sameFile: false, size: 0, sha256: null });
  const sameFile = String(opened.stat.dev) === take.dev && String(opened.stat.ino) === take.ino;
  if (!sameFile) {
    closeSync(opened.fd);
    return 'keep';
  }
  // A source still locked by a program cannot be judged yet; the harvest is settled on a later pass.
  if (!unlocked && !(await lockWrite(opened.fd, lockTimeoutMs))) {
    closeSync(opened.fd);
    return 'defer';
  }
  const bytes = readWhole(opened.fd);
  const verdict = judgeTake(take, {
    sameFile,
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  });
  held.push({
    fd: opened.fd,
    verdict,
    take,
    dev: opened.stat.dev,
    ino: opened.stat.ino,
    locked: !unlocked,
    handedOff: false,
  });
  return verdict;
}

/** Rewrites the staging files of a harvest without the bytes of excluded takes; those bytes go to quarantine. */
function excludeTakes(
  db: Db,
  quarantine: Quarantine,
  harvestId: number,
  all: readonly TakeRecord[],
  excludedTakes: readonly TakeRecord[],
): number {
  const excludedSet = new Set(excludedTakes);
  let count = 0;
  for (const staged of stagedOfHarvest(db, harvestId)) {
    const content = existsSync(staged.path) ? readFileSync(staged.path) : Buffer.alloc(0);
    const keep: Buffer[] = [];
    let files = 0;
    for (const take of all) {
      for (const piece of take.pieces.filter((p) => p.path === staged.path)) {
        const bytes = content.subarray(piece.offset, piece.offset + piece.length);
        if (excludedSet.has(take)) {
          const keptPath = quarantine.keepCopy(take.sourcePath, bytes);
          quarantine.record({
            reason: 'ambiguous-after-crash',
            sourcePath: take.sourcePath,
            uid: null,
            package: staged.package,
            detail: 'the collector stopped between copying and settling the file, and the file changed before restart',
            keptPath,
            bytes: bytes.length,
          });
          count++;
        } else {
          keep.push(bytes);
          files++;
        }
      }
    }
    const kept = Buffer.concat(keep);
    if (kept.length !== staged.bytes) {
      if (kept.length > 0) {
        writeDurable(`${staged.path}.new`, kept);
        renameSync(`${staged.path}.new`, staged.path);
      } else rmSync(staged.path, { force: true });
      const measured =
        staged.kind === 'llvm' ? measureRaw(parseRawProfile(kept).segments) : { runs: staged.runs, mass: staged.mass };
      shrinkStaged(db, staged.id, { bytes: kept.length, files, ...measured });
    }
  }
  return count;
}

/** Deletes staging files that no staged row names (copies written before a crash, before their journal commit). */
export function removeOrphanStaging(db: Db, stagingDir: string): number {
  const known = allStagedPaths(db);
  let removed = 0;
  for (const name of readdirSync(stagingDir)) {
    const path = join(stagingDir, name);
    if (!known.has(path)) {
      rmSync(path, { force: true, recursive: true });
      removed++;
    }
  }
  return removed;
}
