/**
 * The harvest-and-merge engine over one spool and one state directory.
 * `runOnce()` is one full pass (recover, scan, harvest, merge) used by the CLI
 * and tests; `start()`/`stop()` drive passes from inotify events (through
 * Node's watcher) with a slow periodic rescan as the safety net.
 */
import { closeSync, lstatSync, mkdirSync, openSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { NixPgoError } from '../errors/errors.js';
import { removeUncommittedOutputs } from '../merge/remove-uncommitted-outputs.js';
import { mergePackage, type MergeResult } from '../merge/merge-package.js';
import { MergeQueue } from '../merge/merge-queue.js';
import { packagesToMergeEarly } from '../merge/plan-merge.js';
import type { Locations } from '../state/state-layout.js';
import { scanSpool, type SpoolFile } from '../spool/scan.js';
import { openDatabase, type Db } from '../state/database.js';
import { packagesWithReadyStaged } from '../state/harvest-journal.js';
import { ensurePackage, listPackages, type PackageRecord } from '../state/package-records.js';
import { buildAttribution, type Attribution, type ManagedPackage } from '../harvest/attribution.js';
import { harvestBatch, type BatchReport } from '../harvest/harvest-batch.js';
import { parseManifest } from '../formats/manifest.js';
import { QuarantineStore } from '../quarantine/quarantine-area.js';
import { tryLockWrite } from '../durable/record-lock.js';
import { recoverHarvests, removeOrphanStaging } from '../harvest/recover-harvests.js';

export interface PackageSource {
  name: string;
  /** Path of the profiling build's nix-support/pgo.json. */
  manifestPath: string;
}

export interface EngineLimits {
  /** A single spool file larger than this is quarantined unread. */
  maxFileBytes: number;
  spoolCapBytes: number;
  quarantineCapBytes: number;
  /** How long one harvest waits for a program that holds a file's lock before skipping it this pass. */
  lockTimeoutMs: number;
  /** Files locked and copied together; bounds open descriptors. */
  batchSize: number;
  rescanIntervalMs: number;
  debounceMs: number;
  /** Packages merged at the same time. */
  mergeConcurrency: number;
}

export const DEFAULT_LIMITS: EngineLimits = {
  maxFileBytes: 256 * 1024 * 1024,
  spoolCapBytes: 2 * 1024 * 1024 * 1024,
  quarantineCapBytes: 256 * 1024 * 1024,
  lockTimeoutMs: 2000,
  batchSize: 256,
  rescanIntervalMs: 5 * 60 * 1000,
  debounceMs: 250,
  mergeConcurrency: 2,
};

export interface EngineStatus {
  packages: PackageRecord[];
  spool: { bytes: number; capBytes: number; full: boolean };
  quarantine: { bytes: number; capBytes: number; full: boolean };
  /** Manifests that could not be read, and build ids claimed twice. */
  problems: string[];
}

export interface PassReport {
  harvested: Omit<BatchReport, 'packages'>;
  merged: MergeResult[];
  errors: { package: string; message: string }[];
  recovered: { settled: number; excluded: number; deferred: number; orphans: number };
  status: EngineStatus;
}

export class HarvestEngine {
  private readonly limits: EngineLimits;
  private readonly quarantine: QuarantineStore;
  private readonly reported = new Set<string>();
  private spoolBytes = 0;
  private problems: string[] = [];
  private running: Promise<PassReport> | null = null;
  private again = false;
  private watchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    private readonly db: Db,
    private readonly lockFd: number,
    private readonly locations: Locations,
    private readonly sources: readonly PackageSource[],
    limits: Partial<EngineLimits>,
    private readonly log: (line: string) => void,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.quarantine = new QuarantineStore(locations.quarantineDir, this.limits.quarantineCapBytes);
  }

  /** Opens the state and takes the engine lock: two engines on one state dir would harvest twice. */
  static open(options: { locations: Locations; packages: readonly PackageSource[]; limits?: Partial<EngineLimits>; log?: (line: string) => void }): HarvestEngine {
    const { locations } = options;
    for (const dir of [locations.stateDir, locations.stagingDir, locations.quarantineDir, locations.profilesDir]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    mkdirSync(locations.spoolDir, { recursive: true, mode: 0o755 });
    const lockFd = openSync(join(locations.stateDir, 'engine.lock'), 'a+', 0o600);
    if (!tryLockWrite(lockFd)) {
      closeSync(lockFd);
      throw new NixPgoError('STATE', `another nix-pgo engine is using ${locations.stateDir}`, {
        hints: ['stop the running daemon, or wait for the other harvest to finish'],
      });
    }
    const db = openDatabase(locations.database);
    return new HarvestEngine(db, lockFd, locations, options.packages, options.limits ?? {}, options.log ?? (() => {}));
  }

  /** One full pass; concurrent callers share the pass in progress. */
  runOnce(): Promise<PassReport> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  status(): EngineStatus {
    return {
      packages: listPackages(this.db),
      spool: { bytes: this.spoolBytes, capBytes: this.limits.spoolCapBytes, full: this.spoolBytes >= this.limits.spoolCapBytes },
      quarantine: {
        bytes: this.quarantine.usedBytes,
        capBytes: this.limits.quarantineCapBytes,
        full: this.quarantine.full || this.quarantine.usedBytes >= this.limits.quarantineCapBytes,
      },
      problems: [...this.problems],
    };
  }

  /** Runs passes on file events and on a slow timer until stop(). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.trigger(), this.limits.rescanIntervalMs);
    this.trigger();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    this.timer = null;
    this.debounce = null;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    if (this.running) await this.running.catch(() => undefined);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
    closeSync(this.lockFd);
  }

  private trigger(): void {
    if (this.debounce || !this.timer) return;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      this.runOnce()
        .then(() => {
          if (this.again) {
            this.again = false;
            this.trigger();
          }
        })
        .catch((error: unknown) => this.log(`nix-pgo: harvest pass failed: ${(error as Error).message}`));
    }, this.limits.debounceMs);
  }

  private syncWatchers(directories: readonly string[]): void {
    if (!this.timer) return;
    const wanted = new Set(directories);
    for (const [dir, w] of this.watchers) {
      if (!wanted.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of wanted) {
      if (this.watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: true }, () => this.trigger());
        w.on('error', () => {
          w.close();
          this.watchers.delete(dir);
        });
        this.watchers.set(dir, w);
      } catch {
        // Vanished since the scan; the next scan sees it again.
      }
    }
  }

  private loadPackages(): Attribution {
    const managed: ManagedPackage[] = [];
    const problems: string[] = [];
    for (const source of this.sources) {
      try {
        const manifest = parseManifest(readFileSync(source.manifestPath, 'utf8'), source.manifestPath);
        managed.push({ name: source.name, manifest });
        ensurePackage(this.db, source.name, manifest.toolchain);
      } catch (error) {
        const hints = error instanceof NixPgoError ? error.hints.map((h) => `; ${h}`).join('') : '';
        problems.push(`${source.name}: ${(error as Error).message}${hints}`);
      }
    }
    const attribution = buildAttribution(managed);
    this.problems = [...problems, ...attribution.conflicts];
    return attribution;
  }

  private async pass(): Promise<PassReport> {
    const attribution = this.loadPackages();
    this.quarantine.refresh();
    const recovery = await recoverHarvests(this.db, this.quarantine, this.limits.lockTimeoutMs);
    const orphans = removeOrphanStaging(this.db, this.locations.stagingDir) + removeUncommittedOutputs(this.db, this.locations.profilesDir);
    const scan = scanSpool(this.locations.spoolDir);
    this.spoolBytes = scan.totalBytes;
    this.syncWatchers(scan.directories);
    const harvested: Omit<BatchReport, 'packages'> = { taken: 0, bytes: 0, busy: 0, quarantined: 0 };
    for (const reject of scan.rejects) {
      const key = `${reject.path}\0${reject.reason}`;
      if (this.reported.has(key)) continue;
      // Files are moved away unread; directories stay (they may hold a whole user's data) and are reported once.
      const keptPath = reject.isDirectory ? null : this.quarantine.moveAway(reject.path, reject.size);
      if (reject.isDirectory || entryExists(reject.path)) this.reported.add(key);
      this.quarantine.record(this.db, { reason: reject.reason, sourcePath: reject.path, uid: reject.uid, package: null, detail: reject.detail, keptPath, bytes: reject.size });
      harvested.quarantined++;
    }
    const merged: MergeResult[] = [];
    const errors: { package: string; message: string }[] = [];
    // Packages are independent (disjoint rows and files), so merges run beside the harvest and each other.
    const queue = new MergeQueue(async (name) => {
      try {
        const result = await mergePackage({ db: this.db, profilesDir: this.locations.profilesDir, quarantine: this.quarantine }, name, attribution.packages.get(name)!.manifest);
        if (result) merged.push(result);
      } catch (error) {
        // One package's failing tool must not stop the others; its inputs stay staged for the next pass.
        errors.push({ package: name, message: (error as Error).message });
        this.log(`nix-pgo: merging ${name} failed: ${(error as Error).message}`);
      }
    }, this.limits.mergeConcurrency);
    const ctx = { db: this.db, stagingDir: this.locations.stagingDir, attribution, quarantine: this.quarantine, limits: this.limits };
    let previous = new Set<string>();
    try {
      for (let i = 0; i < scan.files.length; i += this.limits.batchSize) {
        const batch: SpoolFile[] = scan.files.slice(i, i + this.limits.batchSize);
        const report = await harvestBatch(ctx, batch);
        harvested.taken += report.taken;
        harvested.bytes += report.bytes;
        harvested.busy += report.busy;
        harvested.quarantined += report.quarantined;
        for (const name of packagesToMergeEarly(previous, report.packages)) queue.add(name);
        previous = report.packages;
      }
      for (const name of packagesWithReadyStaged(this.db)) if (attribution.packages.has(name)) queue.add(name);
    } finally {
      queue.close();
      await queue.done;
    }
    merged.sort((a, b) => (a.package < b.package ? -1 : a.package > b.package ? 1 : 0));
    return { harvested, merged, errors, recovered: { ...recovery, orphans }, status: this.status() };
  }
}

function entryExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
