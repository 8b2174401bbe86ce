/**
 * Live raw profiles (continuous collection): a program maps its profile and
 * its counters grow while it runs, so the file is never emptied (the program
 * would die of SIGBUS). Each pass takes a snapshot, stages what the counters
 * grew since the last one (plan-live.ts), and records the snapshot, in one
 * transaction. Whether any program still holds the file is decided from the
 * shared flock its startup object keeps for the life of the process and its
 * forked children, which an unprivileged collector can test on any file it
 * may open (no other user's /proc/PID/maps is read). A file free at two passes
 * in a row and unchanged since its last counts were merged is removed, under
 * the runtime's lock and an exclusive flock, so no program can start mapping
 * it meanwhile.
 */
import { closeSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { fsyncPath, writeDurable } from '../durable/durable-file.js';
import { lockWrite, releaseFlock, syncFileSystem, tryFlockExclusive, unlockFile } from '../durable/record-lock.js';
import type { SpoolFile } from '../spool/scan.js';
import type { NewStaged } from '../state/harvest-journal.js';
import {
  commitLiveSnapshot,
  forgetLiveSnapshot,
  getLiveSnapshot,
  listLiveSnapshotPaths,
  touchLiveSnapshot,
} from '../state/live-snapshots.js';
import type { QuarantineRecord } from '../state/quarantine-records.js';
import { emptyReport, unlinkSamePath, type BatchReport, type HarvestContext } from './harvest-batch.js';
import { openSpoolFile, readWhole } from './open-spool-file.js';
import { diffLiveSnapshot } from './plan-live.js';
import { planTake, type TakePlan } from './plan-take.js';

export interface LiveReport extends BatchReport {
  /** Live files still in the spool after this pass (their programs may run): the next pass reads them again. */
  live: number;
}

export async function snapshotLiveFiles(ctx: HarvestContext, files: readonly SpoolFile[]): Promise<LiveReport> {
  const report: LiveReport = { ...emptyReport(), live: 0 };
  for (const file of files) {
    const opened = openSpoolFile(file.path, file.uid);
    if (!opened.ok) continue;
    try {
      // The runtime holds this lock only while it sets the file up (and maps it): busy means "not ready yet".
      if (!(await lockWrite(opened.fd, 0))) {
        report.busy++;
        report.live++;
        continue;
      }
      try {
        if (takeSnapshot(ctx, file, opened.fd, opened.stat.dev, opened.stat.ino, report)) report.live++;
      } finally {
        unlockFile(opened.fd);
      }
    } finally {
      closeSync(opened.fd);
    }
  }
  forgetGoneLiveFiles(ctx, new Set(files.map((f) => f.path)));
  return report;
}

/** Reads one live file under the runtime's lock; false when it was removed (its programs are gone, all merged). */
function takeSnapshot(
  ctx: HarvestContext,
  file: SpoolFile,
  fd: number,
  dev: bigint,
  ino: bigint,
  report: BatchReport,
): boolean {
  // Free: no program holds the file. Kept while this pass may remove it; the runtime's lock keeps new programs out.
  const free = tryFlockExclusive(fd);
  let held = free;
  const release = () => {
    if (held) releaseFlock(fd);
    held = false;
  };
  try {
    const bytes = readWhole(fd);
    const previous = getLiveSnapshot(ctx.db, file.path);
    const current = { bytes, dev: String(dev), ino: String(ino) };
    const sameFile = previous !== null && previous.dev === current.dev && previous.ino === current.ino;
    // Free at the last pass too, and nothing counted since: its programs are gone and every count is merged.
    if (free && sameFile && previous.ended && previous.bytes.equals(bytes)) {
      unlinkSamePath(file.path, dev, ino);
      release();
      // Durable before the snapshot goes: a file back after a power loss, without it, would count twice.
      syncFileSystem(fd);
      forgetLiveSnapshot(ctx.db, file.path);
      return false;
    }
    release();
    if (bytes.length === 0) {
      // Emptied by an older collector: nothing to merge; once free at two passes, removed as above.
      if (free) commitLiveCopy(ctx, file, current, previous?.package ?? null, false, NOTHING, true, report);
      return true;
    }
    const diff = diffLiveSnapshot(previous, current);
    if (diff.kind === 'unreadable') return true;
    if (diff.kind === 'growth' && !diff.changed && previous?.ended === free) {
      // Nothing ran since: only the time it was read changes (a large file is not written again at every pass).
      touchLiveSnapshot(ctx.db, file.path, new Date(ctx.now()).toISOString());
      return true;
    }
    const plan = diff.kind === 'first' || diff.changed ? planTake(file, diff.bytes, ctx.attribution) : NOTHING;
    commitLiveCopy(ctx, file, current, previous?.package ?? null, diff.kind === 'first', plan, free, report);
    return true;
  } finally {
    release();
  }
}

const NOTHING: TakePlan = { pieces: [], quarantine: [] };

/** Forgets the snapshots of live files that are gone from the spool (removed by hand, or by an interrupted pass). */
function forgetGoneLiveFiles(ctx: HarvestContext, scanned: ReadonlySet<string>): void {
  for (const path of listLiveSnapshotPaths(ctx.db)) {
    if (scanned.has(path) || !path.endsWith('.profraw')) continue;
    try {
      lstatSync(path);
    } catch {
      forgetLiveSnapshot(ctx.db, path);
    }
  }
}

/**
 * Stages what a copy of a live file adds (the whole copy when `first`, else its growth: `plan`), records its
 * quarantined parts, and records the copy as the file's snapshot, in one transaction (shared by live raw
 * profiles and periodically dumped BOLT profiles).
 */
export function commitLiveCopy(
  ctx: HarvestContext,
  file: SpoolFile,
  current: { bytes: Buffer; dev: string; ino: string },
  previousPackage: string | null,
  first: boolean,
  plan: TakePlan,
  ended: boolean,
  report: BatchReport,
): void {
  const staged: NewStaged[] = [];
  const kind = file.format === 'fdata' ? 'fdata' : 'llvm';
  for (const piece of plan.pieces) {
    const path = join(ctx.stagingDir, `${randomUUID()}.${kind === 'fdata' ? 'fdata' : 'profraw'}`);
    writeDurable(path, piece.bytes);
    fsyncPath(ctx.stagingDir);
    // The first copy of a file is one run of its binary; growth after it is the same run going on.
    staged.push({
      package: piece.package,
      kind,
      path,
      relPath: piece.relPath ?? null,
      bytes: piece.bytes.length,
      files: first ? 1 : 0,
      contributor: file.uid,
      runs: first ? piece.runs : {},
      mass: piece.mass,
    });
    report.packages.add(piece.package);
    report.taken++;
    report.bytes += first ? current.bytes.length : 0;
  }
  const quarantine: QuarantineRecord[] = plan.quarantine.map((q) => ({
    reason: q.reason,
    sourcePath: file.path,
    uid: file.uid,
    package: q.package,
    detail: q.detail,
    keptPath: q.bytes.length > 0 ? ctx.quarantine.keepCopy(file.path, q.bytes) : null,
    bytes: q.bytes.length,
  }));
  report.quarantined += quarantine.length;
  const owner = plan.pieces[0]?.package ?? previousPackage ?? plan.quarantine[0]?.package ?? '';
  commitLiveSnapshot(ctx.db, {
    staged,
    quarantine,
    // A file no managed build owns is recorded too (under no package), so it is not quarantined again at every pass.
    snapshot: {
      path: file.path,
      ...current,
      uid: file.uid,
      package: owner,
      takenAt: new Date(ctx.now()).toISOString(),
      ended,
    },
    // "The MB programs wrote": a live file counts once, at its first copy.
    counted: {
      bytes: first && plan.pieces.length > 0 ? current.bytes.length : 0,
      files: first && plan.pieces.length > 0 ? 1 : 0,
    },
  });
}
