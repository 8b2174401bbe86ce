/**
 * BOLT profiles of long-running programs (a build with a dump interval): a
 * watcher process rewrites `<id>.<pid>.fdata` every few seconds with every
 * count since the program started, and once more after it ended (also when it
 * was killed). Each pass takes a copy, stages what grew since the copy already
 * merged (plan-live.ts), and records the copy, in one transaction; once the
 * watcher is gone, its last growth is merged and the file is removed.
 */
import { randomUUID } from 'node:crypto';
import { closeSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncPath, writeDurable } from '../durable/durable-file.js';
import type { SpoolFile } from '../spool/scan.js';
import type { NewStaged } from '../state/harvest-journal.js';
import { commitLiveSnapshot, forgetLiveSnapshot, getLiveSnapshot } from '../state/live-snapshots.js';
import type { QuarantineRecord } from '../state/quarantine-records.js';
import { emptyReport, unlinkSamePath, type BatchReport, type HarvestContext } from './harvest-batch.js';
import { openSpoolFile, readWhole } from './open-spool-file.js';
import { diffFdataSnapshot, type LiveDiff } from './plan-live.js';
import { planTake, type TakePlan } from './plan-take.js';

export interface LiveFdata {
  file: SpoolFile;
  /** The watcher is gone: this copy is the last. */
  ended: boolean;
}

export async function snapshotLiveFdata(ctx: HarvestContext, entries: readonly LiveFdata[]): Promise<BatchReport> {
  const report = emptyReport();
  for (const { file, ended } of entries) {
    const opened = openSpoolFile(file.path, file.uid, 'read');
    if (!opened.ok) continue;
    try {
      const bytes = readWhole(opened.fd);
      // Empty: the watcher truncated it and has not written yet.
      if (bytes.length === 0 && !ended) continue;
      const current = { bytes, dev: String(opened.stat.dev), ino: String(opened.stat.ino) };
      const previous = getLiveSnapshot(ctx.db, file.path);
      let diff: LiveDiff = diffFdataSnapshot(previous, current);
      // The last copy of a file that counts less than the merged one: another program took over its
      // name (a reused pid) and rewrote it; what it holds is that program's.
      if (diff.kind === 'unreadable' && ended && /counts less|is missing/.test(diff.detail)) diff = { kind: 'first', bytes };
      if (diff.kind === 'unreadable' && !ended) continue;
      const plan: TakePlan =
        diff.kind === 'unreadable'
          ? { pieces: [], quarantine: [{ reason: 'truncated', detail: diff.detail, package: previous?.package ?? null, bytes }] }
          : diff.kind === 'first' || diff.changed
            ? planTake(file, diff.bytes, ctx.attribution)
            : { pieces: [], quarantine: [] };
      commitCopy(ctx, file, current, previous?.package ?? null, diff.kind === 'first', plan, ended, report);
      if (!ended) continue;
      unlinkSamePath(file.path, opened.stat.dev, opened.stat.ino);
      forgetLiveSnapshot(ctx.db, file.path);
    } finally {
      closeSync(opened.fd);
    }
  }
  return report;
}

function commitCopy(
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
  for (const piece of plan.pieces) {
    const path = join(ctx.stagingDir, `${randomUUID()}.fdata`);
    writeDurable(path, piece.bytes);
    fsyncPath(ctx.stagingDir);
    // The first copy of a file is one run of its binary; growth after it is the same run going on.
    staged.push({ package: piece.package, kind: 'fdata', path, relPath: piece.relPath ?? null, bytes: piece.bytes.length, files: first ? 1 : 0, contributor: file.uid, runs: first ? piece.runs : {}, mass: piece.mass });
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
    snapshot: { path: file.path, ...current, uid: file.uid, package: owner, takenAt: new Date(ctx.now()).toISOString(), ended },
    counted: { bytes: first && plan.pieces.length > 0 ? current.bytes.length : 0, files: first && plan.pieces.length > 0 ? 1 : 0 },
  });
}
