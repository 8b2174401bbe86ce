/**
 * BOLT profiles of long-running programs (a build with a dump interval): a
 * watcher process rewrites `<id>.<pid>.fdata` every few seconds with every
 * count since the program started, and once more after it ended (also when it
 * was killed). Each pass takes a copy, stages what grew since the copy already
 * merged (plan-live.ts), and records the copy, in one transaction; once the
 * watcher is gone, its last growth is merged and the file is removed.
 */
import { closeSync } from 'node:fs';
import type { SpoolFile } from '../spool/scan.js';
import { forgetLiveSnapshot, getLiveSnapshot } from '../state/live-snapshots.js';
import { emptyReport, unlinkSamePath, type BatchReport, type HarvestContext } from './harvest-batch.js';
import { commitLiveCopy } from './live-files.js';
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
      // Over the cap it is never read (its copies would be kept whole in memory); once its watcher is gone it goes.
      if (Number(opened.stat.size) > ctx.limits.maxFileBytes) {
        if (ended) {
          ctx.quarantine.record({
            reason: 'too-large',
            sourcePath: file.path,
            uid: file.uid,
            package: null,
            detail: `${opened.stat.size} bytes, cap ${ctx.limits.maxFileBytes}`,
            keptPath: null,
            bytes: 0,
          });
          report.quarantined++;
          unlinkSamePath(file.path, opened.stat.dev, opened.stat.ino);
          forgetLiveSnapshot(ctx.db, file.path);
        }
        continue;
      }
      const bytes = readWhole(opened.fd);
      // Empty: the watcher truncated it and has not written yet.
      if (bytes.length === 0 && !ended) continue;
      const current = { bytes, dev: String(opened.stat.dev), ino: String(opened.stat.ino) };
      const previous = getLiveSnapshot(ctx.db, file.path);
      let diff: LiveDiff = diffFdataSnapshot(previous, current);
      // The last copy of a file that counts less than the merged one: another program took over its
      // name (a reused pid) and rewrote it; what it holds is that program's.
      if (diff.kind === 'unreadable' && ended && /counts less|is missing/.test(diff.detail))
        diff = { kind: 'first', bytes };
      if (diff.kind === 'unreadable' && !ended) continue;
      const plan: TakePlan =
        diff.kind === 'unreadable'
          ? {
              pieces: [],
              quarantine: [{ reason: 'truncated', detail: diff.detail, package: previous?.package ?? null, bytes }],
            }
          : diff.kind === 'first' || diff.changed
            ? planTake(file, diff.bytes, ctx.attribution)
            : { pieces: [], quarantine: [] };
      commitLiveCopy(ctx, file, current, previous?.package ?? null, diff.kind === 'first', plan, ended, report);
      if (!ended) continue;
      unlinkSamePath(file.path, opened.stat.dev, opened.stat.ino);
      forgetLiveSnapshot(ctx.db, file.path);
    } finally {
      closeSync(opened.fd);
    }
  }
  return report;
}
