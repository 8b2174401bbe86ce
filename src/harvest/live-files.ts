/**
 * Live raw profiles (continuous collection): a program maps its profile and
 * its counters grow while it runs, so the file is never emptied while mapped
 * (the program would die of SIGBUS). Each pass takes a snapshot, stages what
 * the counters grew since the last one (plan-live.ts), and records the
 * snapshot, in one transaction. Once no program holds the file (no flock of
 * the startup object, no mapping in /proc) its last snapshot is merged and it
 * is emptied under the runtime's own lock.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, fstatSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncPath, writeDurable } from '../durable/durable-file.js';
import { flockFree, lockWrite, syncFileSystem, unlockFile } from '../durable/record-lock.js';
import type { SpoolFile } from '../spool/scan.js';
import type { NewStaged } from '../state/harvest-journal.js';
import { commitLiveSnapshot, forgetLiveSnapshot, getLiveSnapshot } from '../state/live-snapshots.js';
import type { QuarantineRecord } from '../state/quarantine-records.js';
import { emptyReport, unlinkSamePath, type BatchReport, type HarvestContext } from './harvest-batch.js';
import { openSpoolFile, readWhole } from './open-spool-file.js';
import { diffLiveSnapshot } from './plan-live.js';
import { planTake, type TakePlan } from './plan-take.js';
import { findMapping } from './process-maps.js';

/** An empty live file this old whose programs are gone is removed (a program that starts under its name recreates it). */
const EMPTY_LIVE_GRACE_MS = 24 * 60 * 60 * 1000;

export async function snapshotLiveFiles(ctx: HarvestContext, files: readonly SpoolFile[]): Promise<BatchReport> {
  const report = emptyReport();
  for (const file of files) {
    const opened = openSpoolFile(file.path, file.uid);
    if (!opened.ok) continue;
    try {
      // The runtime holds this lock only while it sets the file up: busy means "not ready yet".
      if (!(await lockWrite(opened.fd, 0))) {
        report.busy++;
        continue;
      }
      try {
        takeSnapshot(ctx, file, opened.fd, opened.stat.dev, opened.stat.ino, report);
      } finally {
        unlockFile(opened.fd);
      }
    } finally {
      closeSync(opened.fd);
    }
  }
  return report;
}

function takeSnapshot(
  ctx: HarvestContext,
  file: SpoolFile,
  fd: number,
  dev: bigint,
  ino: bigint,
  report: BatchReport,
): void {
  const bytes = readWhole(fd);
  if (bytes.length === 0) {
    removeIfOld(ctx, file, fd, dev, ino);
    return;
  }
  const previous = getLiveSnapshot(ctx.db, file.path);
  const current = { bytes, dev: String(dev), ino: String(ino) };
  const diff = diffLiveSnapshot(previous, current);
  if (diff.kind === 'unreadable') return;
  const ended = flockFree(fd);
  const dead = ended && findMapping(dev, ino) === 'unmapped';
  const plan =
    diff.kind === 'first' || diff.changed
      ? planTake(file, diff.bytes, ctx.attribution)
      : { pieces: [], quarantine: [] };
  commitLiveCopy(
    ctx,
    file,
    { bytes, dev: String(dev), ino: String(ino) },
    previous?.package ?? null,
    diff.kind === 'first',
    plan,
    ended,
    report,
  );
  if (!dead) return;
  // Every count is merged and no program can write any more: empty it, still under the runtime's lock.
  ftruncateSync(fd, 0);
  syncFileSystem(fd);
  forgetLiveSnapshot(ctx.db, file.path);
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

/** An old empty live file, nobody mapping it: remove it, by its path if the path still names it. */
function removeIfOld(ctx: HarvestContext, file: SpoolFile, fd: number, dev: bigint, ino: bigint): void {
  if (ctx.now() - file.mtimeMs < EMPTY_LIVE_GRACE_MS || fstatSync(fd).size !== 0) return;
  if (!flockFree(fd) || findMapping(dev, ino) !== 'unmapped') return;
  unlinkSamePath(file.path, dev, ino);
}
