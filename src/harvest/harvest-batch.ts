/**
 * Takes a batch of spool files with the protocol that loses nothing (docs/harvest.md):
 * lock → copy → (copies durable, journal committed) → truncate → confirm → unlock.
 * A program finishing meanwhile waits on the lock and then writes into the
 * empty file. A kill at any point is repaired by recoverHarvests().
 */
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../state/database.js';
import { beginHarvest, confirmHarvest, type NewStaged, type TakeRecord } from '../state/harvest-journal.js';
import type { QuarantineRecord } from '../state/quarantine-records.js';
import type { SpoolFile } from '../spool/scan.js';
import type { Attribution } from './attribution.js';
import { fsyncPath, writeDurable } from '../durable/durable-file.js';
import { openSpoolFile, readWhole } from './open-spool-file.js';
import { planTake, type TakePlan } from './plan-take.js';
import type { Quarantine } from '../quarantine/quarantine.js';
import { faultPoint } from '../durable/fault-points.js';
import { lockWrite, syncFileSystem, unlockFile } from '../durable/record-lock.js';

export interface HarvestLimits {
  maxFileBytes: number;
  lockTimeoutMs: number;
}

export interface HarvestContext {
  db: Db;
  stagingDir: string;
  attribution: Attribution;
  quarantine: Quarantine;
  limits: HarvestLimits;
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
  fd: number;
  dev: bigint;
  ino: bigint;
  bytes: Buffer;
  plan: TakePlan;
}

export async function harvestBatch(ctx: HarvestContext, files: readonly SpoolFile[]): Promise<BatchReport> {
  const report: BatchReport = { taken: 0, bytes: 0, busy: 0, quarantined: 0, packages: new Set() };
  const held: Held[] = [];
  const quarantineRows: QuarantineRecord[] = [];
  try {
    for (const file of files) {
      const opened = openSpoolFile(file.path, file.uid);
      if (!opened.ok) {
        if (opened.reason !== null) {
          // Only recorded: the scan's lstat saw a good file, so the tree changed under us, and moving by a path
          // whose directories may have been swapped could move another user's file. The next scan deals with it.
          ctx.quarantine.record({ reason: opened.reason, sourcePath: file.path, uid: file.uid, package: null, detail: opened.detail, keptPath: null, bytes: file.size });
          report.quarantined++;
        }
        continue;
      }
      if (!(await lockWrite(opened.fd, ctx.limits.lockTimeoutMs))) {
        closeSync(opened.fd);
        report.busy++;
        continue;
      }
      const entry: Held = { file, fd: opened.fd, dev: opened.stat.dev, ino: opened.stat.ino, bytes: Buffer.alloc(0), plan: { pieces: [], quarantine: [] } };
      held.push(entry);
      const size = Number(opened.stat.size);
      if (size > ctx.limits.maxFileBytes) {
        // Over the cap the bytes are dropped rather than copied: keeping them would defeat the cap.
        entry.plan = { pieces: [], quarantine: [{ reason: 'too-large', detail: `${size} bytes, cap ${ctx.limits.maxFileBytes}`, package: null, bytes: Buffer.alloc(0) }] };
        continue;
      }
      entry.bytes = readWhole(opened.fd);
      entry.plan = planTake(file, entry.bytes, ctx.attribution);
    }
    const work = held.filter((h) => h.bytes.length > 0 || h.plan.quarantine.length > 0);
    if (work.length === 0) return report;

    const { staged, takes } = stageCopies(ctx, work);
    for (const h of work) {
      for (const q of h.plan.quarantine) {
        const keptPath = q.bytes.length > 0 ? ctx.quarantine.keepCopy(h.file.path, q.bytes) : null;
        quarantineRows.push({ reason: q.reason, sourcePath: h.file.path, uid: h.file.uid, package: q.package, detail: q.detail, keptPath, bytes: q.bytes.length });
        report.quarantined++;
      }
    }
    if (staged.length > 0) fsyncPath(ctx.stagingDir);
    faultPoint('harvest:copied');
    const harvestId = beginHarvest(ctx.db, takes, staged, quarantineRows);
    faultPoint('harvest:journaled');
    for (const h of work) ftruncateSync(h.fd, 0);
    // One file-system flush makes every truncation durable before the journal says they happened.
    syncFileSystem(work[0]!.fd);
    faultPoint('harvest:truncated');
    confirmHarvest(ctx.db, harvestId);
    faultPoint('harvest:confirmed');
    for (const s of staged) report.packages.add(s.package);
    for (const h of work) {
      report.taken++;
      report.bytes += h.bytes.length;
    }
    return report;
  } finally {
    for (const h of held) {
      unlockFile(h.fd);
      closeSync(h.fd);
    }
  }
}

/** Writes the copies: one staging file per package for raw profiles (llvm-profdata reads concatenated ones), one per gcda file. */
function stageCopies(ctx: HarvestContext, work: readonly Held[]): { staged: NewStaged[]; takes: TakeRecord[] } {
  const staged: NewStaged[] = [];
  const takes: TakeRecord[] = [];
  const llvmGroups = new Map<string, { path: string; chunks: Buffer[]; offset: number; files: number }>();
  for (const h of work) {
    const take: TakeRecord = {
      sourcePath: h.file.path,
      uid: h.file.uid,
      dev: String(h.dev),
      ino: String(h.ino),
      size: h.bytes.length,
      sha256: createHash('sha256').update(h.bytes).digest('hex'),
      pieces: [],
    };
    takes.push(take);
    for (const piece of h.plan.pieces) {
      if (h.file.format === 'gcda') {
        const path = join(ctx.stagingDir, `${randomUUID()}.gcda`);
        writeDurable(path, piece.bytes);
        staged.push({ package: piece.package, kind: 'gcda', path, relPath: piece.relPath ?? null, bytes: piece.bytes.length, files: 1 });
        take.pieces.push({ path, offset: 0, length: piece.bytes.length });
        continue;
      }
      let group = llvmGroups.get(piece.package);
      if (!group) {
        group = { path: join(ctx.stagingDir, `${randomUUID()}.profraw`), chunks: [], offset: 0, files: 0 };
        llvmGroups.set(piece.package, group);
      }
      take.pieces.push({ path: group.path, offset: group.offset, length: piece.bytes.length });
      group.chunks.push(piece.bytes);
      group.offset += piece.bytes.length;
      group.files++;
    }
  }
  for (const [pkg, group] of llvmGroups) {
    writeDurable(group.path, Buffer.concat(group.chunks));
    staged.push({ package: pkg, kind: 'llvm', path: group.path, relPath: null, bytes: group.offset, files: group.files });
  }
  return { staged, takes };
}
