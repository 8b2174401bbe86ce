/**
 * The collector: the stage that turns what instrumented programs write into
 * one merged profile per managed package. One pass recovers what a killed
 * collector left, scans the spool, harvests it (src/harvest) and merges what
 * was harvested (src/merge). `runOnce()` is one pass (the CLI, tests);
 * `start()` runs passes on file events until `stop()` (the daemon).
 */
import { closeSync, lstatSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tryLockWrite } from '../durable/record-lock.js';
import { NixPgoError, StateError } from '../errors/errors.js';
import { parseManifest } from '../formats/manifest.js';
import { buildAttribution, type Attribution, type ManagedPackage, type TrustRule } from '../harvest/attribution.js';
import type { CollectorConfig } from '../config/config-types.js';
import { DEFAULT_COLLECTOR, DEFAULT_POLICY } from '../config/defaults.js';
import { DrainList } from '../harvest/drain-list.js';
import { harvestAll } from '../harvest/harvest-all.js';
import { drainUnlinked, harvestBatch, type BatchReport, type HarvestContext } from '../harvest/harvest-batch.js';
import { fdataWriterGone } from '../harvest/fdata-writers.js';
import { snapshotLiveFdata } from '../harvest/live-fdata.js';
import { snapshotLiveFiles } from '../harvest/live-files.js';
import { recoverHarvests, removeOrphanStaging } from '../harvest/recover-harvests.js';
import { mergePackage, type MergeResult } from '../merge/merge-package.js';
import { MergeQueue } from '../merge/merge-queue.js';
import { packageDirName, packagesToMergeEarly } from '../merge/plan-merge.js';
import { removeUncommittedOutputs } from '../merge/remove-uncommitted-outputs.js';
import { Quarantine } from '../quarantine/quarantine.js';
import { ensureBoltDir } from '../spool/bolt-dir.js';
import { ensureFormatDirs } from '../spool/format-dirs.js';
import { asideName, scanSpool, type SpoolFile, type SpoolReject } from '../spool/scan.js';
import { saveSpoolReport, type SquatRecord } from '../state/spool-report.js';
import { claimFiles } from '../harvest/claim-files.js';
import { type Db, inTransaction } from '../state/database.js';
import { packagesWithReadyStaged } from '../state/harvest-journal.js';
import { recordCollectorPass, recordCollectorStart, recordCollectorStop } from '../state/collector-heartbeat.js';
import { getLiveSnapshot } from '../state/live-snapshots.js';
import { ensurePackage, listPackages, resetPackageData, type PackageRecord } from '../state/package-records.js';
import type { StateLayout } from '../state/state-layout.js';
import { SpoolWatcher } from './watch-spool.js';

export interface PackageSource {
  name: string;
  /** Path of the profiling build's nix-support/pgo.json. */
  manifestPath: string;
  /** Whose profile data counts (default: only the collector's own user). */
  trust?: TrustRule;
  /** The package policy's maxContributorShare (default: the default policy's). */
  maxContributorShare?: number;
}

/** The limits the config sets (config.collector), and the timings of the harvest protocol. */
export interface CollectorLimits extends CollectorConfig {
  /** How long one harvest waits for a program that holds a file's lock before skipping it this pass. */
  lockTimeoutMs: number;
  rescanIntervalMs: number;
  debounceMs: number;
  /** An empty raw profile older than this is removed. */
  emptyGraceMs: number;
  /** An unlinked raw profile is watched this long after it last held data. */
  drainMs: number;
}

export const DEFAULT_LIMITS: CollectorLimits = {
  ...DEFAULT_COLLECTOR,
  lockTimeoutMs: 2000,
  rescanIntervalMs: 5 * 60 * 1000,
  debounceMs: 250,
  emptyGraceMs: 10 * 60 * 1000,
  drainMs: 10 * 1000,
};

export interface CollectorStatus {
  packages: PackageRecord[];
  /** `bytes`: what the spool's files take on disk; `leftAlone`: files of other users or daemons, not taken. */
  spool: { bytes: number; capBytes: number; full: boolean; leftAlone: { files: number; bytes: number } };
  quarantine: { bytes: number; capBytes: number; full: boolean };
  /** Manifests that could not be read, and build ids claimed twice. */
  problems: string[];
}

export interface PassReport {
  harvested: Omit<BatchReport, 'packages'>;
  /** Files of programs that may still run (live raw profiles, BOLT profiles dumped periodically): read again soon. */
  live: number;
  merged: MergeResult[];
  errors: { package: string; message: string }[];
  recovered: { settled: number; excluded: number; deferred: number; orphans: number };
  status: CollectorStatus;
}

export interface CollectorOptions {
  /** The process's one handle on the state database. */
  db: Db;
  layout: StateLayout;
  packages?: readonly PackageSource[];
  limits?: Partial<CollectorLimits>;
  log?: (line: string) => void;
  /** Called after every pass (the daemon turns quarantines and full disks into events). */
  onPass?: (report: PassReport) => Promise<void>;
  /** Trust and share settings of a package registered later by name. */
  settings?: (name: string) => Pick<PackageSource, 'trust' | 'maxContributorShare'> | undefined;
}

export class Collector {
  private readonly limits: CollectorLimits;
  private readonly quarantine: Quarantine;
  private readonly sources = new Map<string, PackageSource>();
  private readonly drain = new DrainList();
  /** The user this collector runs as: its data always counts, and the spool's own directories must be its (or root's). */
  private readonly uid = process.getuid?.() ?? 0;
  /** Rejected directories stay where they are; each is recorded once. */
  private readonly reported = new Set<string>();
  private readonly watcher: SpoolWatcher;
  private spoolBytes = 0;
  private leftAlone = { files: 0, bytes: 0 };
  /** Sources a reload removed: a reload that adds the package again brings its profiling build back. */
  private readonly retired = new Map<string, PackageSource>();
  private problems: string[] = [];
  /** Problems already logged, so a pass logs only new ones. */
  private reportedProblems = new Set<string>();
  private running: Promise<PassReport> | null = null;
  /** Packages whose data the next pass forgets before it merges anything. */
  private readonly forgetting = new Set<string>();
  private queued: Promise<PassReport> | null = null;
  private closed = false;

  private constructor(
    private readonly db: Db,
    private readonly lockFd: number,
    private readonly layout: StateLayout,
    private readonly options: CollectorOptions,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.quarantine = new Quarantine(db, layout.quarantineDir, this.limits.quarantineCapBytes);
    for (const source of options.packages ?? []) this.sources.set(source.name, source);
    this.watcher = new SpoolWatcher(() => this.runOnce(), {
      debounceMs: this.limits.debounceMs,
      rescanIntervalMs: this.limits.rescanIntervalMs,
      liveIntervalMs: this.limits.liveSnapshotMs,
      onError: (error) => this.log(`nix-pgo: harvest pass failed: ${(error as Error).message}`),
    });
  }

  /** Takes the collector lock: two collectors on one state directory would harvest twice. */
  static open(options: CollectorOptions): Collector {
    const { layout } = options;
    for (const dir of [layout.stateDir, layout.stagingDir, layout.quarantineDir, layout.profilesDir])
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    mkdirSync(layout.spoolDir, { recursive: true, mode: 0o755 });
    ensureFormatDirs(layout.spoolDir);
    const lockFd = openSync(layout.collectorLock, 'a+', 0o600);
    if (!tryLockWrite(lockFd)) {
      closeSync(lockFd);
      throw new StateError('COLLECTOR_BUSY', `another nix-pgo process is collecting profiles in ${layout.stateDir}`, {
        hints: ['stop the running daemon, or wait for the other harvest to finish'],
      });
    }
    // While the lock is held, status names this process and since when; after a kill, its last pass.
    recordCollectorStart(options.db, process.pid, new Date());
    return new Collector(options.db, lockFd, layout, options);
  }

  /** A package's trust and share settings changed (the config was reloaded); undefined: it is no longer managed. */
  configure(name: string, settings: Pick<PackageSource, 'trust' | 'maxContributorShare'> | undefined): void {
    const source = this.sources.get(name) ?? this.retired.get(name);
    if (settings === undefined) {
      if (source) this.retired.set(name, source);
      this.sources.delete(name);
    } else if (source) {
      this.sources.set(name, { ...source, ...settings });
      if (this.retired.delete(name)) this.watcher.trigger();
    }
  }

  /** Attributes profiles of this profiling build to the package from the next pass on (keeping its trust settings). */
  register(name: string, manifestPath: string): void {
    this.retired.delete(name);
    this.sources.set(name, { ...this.options.settings?.(name), ...this.sources.get(name), name, manifestPath });
    // A pass now, not at the next rescan: a BOLT build's directory is outside the spool, watched once a pass names it.
    this.watcher.trigger();
  }

  /**
   * Forgets a package's collected data: done at the start of the next pass, when no merge of it
   * runs; resolves once that pass is over.
   */
  async forget(name: string): Promise<void> {
    this.forgetting.add(name);
    await this.runOnce();
  }

  /** One full pass. A call during a pass gets the next pass, which starts when this one ends. */
  runOnce(): Promise<PassReport & { directories: string[] }> {
    if (!this.running) return this.startPass();
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.startPass();
      });
    return this.queued as Promise<PassReport & { directories: string[] }>;
  }

  status(): CollectorStatus {
    return {
      packages: listPackages(this.db),
      spool: {
        bytes: this.spoolBytes,
        capBytes: this.limits.spoolCapBytes,
        full: this.spoolBytes >= this.limits.spoolCapBytes,
        leftAlone: { ...this.leftAlone },
      },
      quarantine: {
        bytes: this.quarantine.usedBytes,
        capBytes: this.limits.quarantineCapBytes,
        full: this.quarantine.full || this.quarantine.usedBytes >= this.limits.quarantineCapBytes,
      },
      problems: [...this.problems],
    };
  }

  /** Runs passes on file events, on a slow timer, and while programs run on the live snapshot schedule, until stop(). */
  start(): void {
    this.watcher.start();
  }

  async stop(): Promise<void> {
    await this.watcher.stop();
    await this.queued?.catch(() => undefined);
    await this.running?.catch(() => undefined);
  }

  /** Releases the collector lock; the database belongs to the caller. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.drain.closeAll();
    if (this.db.open) recordCollectorStop(this.db, process.pid, new Date());
    closeSync(this.lockFd);
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  private startPass(): Promise<PassReport & { directories: string[] }> {
    const pass = this.pass().then(async (report) => {
      // Status reads it as this process's sign of life.
      recordCollectorPass(this.db, process.pid, new Date());
      await this.options.onPass?.(report);
      return report;
    });
    this.running = pass.finally(() => {
      this.running = null;
    });
    return pass;
  }

  /** Reads every source's manifest into `managed` and records its package row; what fails goes to `problems`. */
  private readSources(managed: ManagedPackage[], problems: string[], boltDirs: Set<string>): void {
    for (const [name, source] of this.sources) {
      try {
        const manifest = parseManifest(readFileSync(source.manifestPath, 'utf8'), source.manifestPath);
        const trust: TrustRule = source.trust?.anyone
          ? source.trust
          : { anyone: false, uids: new Set([this.uid, ...(source.trust?.uids ?? [])]) };
        managed.push({ name, manifest, trust });
        ensurePackage(this.db, name, manifest.toolchain);
        if (manifest.boltDir !== null) {
          boltDirs.add(manifest.boltDir);
          // Its programs fail without it, so it is put back whenever it went (tmpfiles ages /tmp).
          const problem = ensureBoltDir(manifest.boltDir, this.uid);
          if (problem) problems.push(`${name}: BOLT profiles cannot be written: ${problem}`);
        }
      } catch (error) {
        const hints = error instanceof NixPgoError ? error.hints.map((h) => `; ${h}`).join('') : '';
        problems.push(`${name}: ${(error as Error).message}${hints}`);
      }
    }
  }

  private loadPackages(): Attribution & { boltDirs: string[] } {
    const managed: ManagedPackage[] = [];
    const problems: string[] = [];
    const boltDirs = new Set<string>();
    // One transaction for every package's row: one commit (one fsync) per pass, not one per package.
    inTransaction(this.db, () => this.readSources(managed, problems, boltDirs));
    const attribution = buildAttribution(managed);
    this.problems = [...problems, ...attribution.conflicts];
    for (const problem of problems) if (!this.reportedProblems.has(problem)) this.log(`nix-pgo: ${problem}`);
    this.reportedProblems = new Set(problems);
    return { ...attribution, boltDirs: [...boltDirs] };
  }

  /** Moves or removes what the scan rejected, records each once, and returns the squats among them. */
  private setAside(rejects: readonly SpoolReject[], now: () => number): { squats: SquatRecord[]; rejected: number } {
    const squats: SquatRecord[] = [];
    let rejected = 0;
    for (const reject of rejects) {
      const key = `${reject.path}\0${reject.reason}`;
      if (this.reported.has(key)) continue;
      // A file that may be trusted is moved away unread; anything else loses its name (a hard link to someone's
      // secret must not gain a second name in our state). A directory in a <fmt>/ we own is moved out of the
      // way in place (unread: it may hold a user's data, and frees a name a writer needs); others are reported once.
      const keptPath = reject.isDirectory
        ? reject.movable
          ? this.quarantine.moveAside(reject.fsPath, asideName(reject.path))
          : null
        : reject.keepable
          ? this.quarantine.moveAway(reject.fsPath, reject.size)
          : this.quarantine.remove(reject.fsPath);
      const cleared = !entryExists(reject.fsPath);
      if (reject.squat)
        squats.push({ ...reject.squat, movedTo: keptPath, cleared, lastSeen: new Date(now()).toISOString() });
      if (!cleared) this.reported.add(key);
      this.quarantine.record({
        reason: reject.reason,
        sourcePath: reject.path,
        uid: reject.uid,
        package: null,
        detail: reject.detail,
        keptPath,
        bytes: reject.size,
      });
      rejected++;
    }
    return { squats, rejected };
  }

  private async pass(): Promise<PassReport & { directories: string[] }> {
    for (const name of this.forgetting) {
      for (const path of resetPackageData(this.db, name)) rmSync(path, { force: true });
      rmSync(join(this.layout.profilesDir, packageDirName(name)), { recursive: true, force: true });
    }
    this.forgetting.clear();
    const attribution = this.loadPackages();
    this.quarantine.refresh();
    const now = () => Date.now();
    const recovery = await recoverHarvests({
      db: this.db,
      quarantine: this.quarantine,
      lockTimeoutMs: this.limits.lockTimeoutMs,
      drain: this.drain,
      now,
    });
    const orphans =
      removeOrphanStaging(this.db, this.layout.stagingDir) + removeUncommittedOutputs(this.db, this.layout.profilesDir);
    const scan = scanSpool(this.layout.spoolDir, {
      trustedOwners: new Set([this.uid, 0]),
      boltDirs: attribution.boltDirs,
      selfUid: this.uid,
      knownUids: knownUids(this.uid, attribution),
    });
    this.spoolBytes = scan.totalBytes;
    const harvested: Omit<BatchReport, 'packages'> = { taken: 0, bytes: 0, busy: 0, quarantined: 0 };
    // One transaction for all the rows: a spool of thousands of junk entries costs one commit, not thousands.
    const squats = inTransaction(this.db, () => this.setAside(scan.rejects, now));
    harvested.quarantined += squats.rejected;
    // Files of other users and daemons sharing the directories are not read, moved or quarantined: only counted.
    const claimed = await claimFiles(scan.files, attribution);
    this.leftAlone = { files: claimed.leftAlone.length, bytes: claimed.leftAlone.reduce((sum, f) => sum + f.size, 0) };
    saveSpoolReport(this.db, {
      at: new Date(now()).toISOString(),
      leftAlone: this.leftAlone,
      squats: squats.squats,
      movedAside: scan.movedAside,
    });
    const ours = claimed.ours;
    const merged: MergeResult[] = [];
    const errors: { package: string; message: string }[] = [];
    // Packages are independent (disjoint rows and files), so merges run beside the harvest and each other.
    const queue = new MergeQueue(async (name) => {
      try {
        const merge = {
          db: this.db,
          profilesDir: this.layout.profilesDir,
          quarantine: this.quarantine,
          maxShare: this.sources.get(name)?.maxContributorShare ?? DEFAULT_POLICY.maxContributorShare,
          legacyContributor: this.uid,
        };
        const result = await mergePackage(merge, name, attribution.packages.get(name)!.manifest);
        if (result) merged.push(result);
      } catch (error) {
        // One package's failing tool must not stop the others; its inputs stay staged for the next pass.
        errors.push({ package: name, message: (error as Error).message });
        this.log(`nix-pgo: merging ${name} failed: ${(error as Error).message}`);
      }
    }, this.limits.mergeConcurrency);
    const ctx: HarvestContext = {
      db: this.db,
      stagingDir: this.layout.stagingDir,
      attribution,
      quarantine: this.quarantine,
      limits: this.limits,
      drain: this.drain,
      now,
    };
    let previous = new Set<string>();
    let live = 0;
    try {
      const drained = await drainUnlinked(ctx);
      harvested.taken += drained.taken;
      harvested.bytes += drained.bytes;
      harvested.quarantined += drained.quarantined;
      const snapshots = await snapshotLiveFiles(
        ctx,
        ours.filter((f) => f.live),
      );
      harvested.taken += snapshots.taken;
      harvested.bytes += snapshots.bytes;
      harvested.busy += snapshots.busy;
      harvested.quarantined += snapshots.quarantined;
      for (const name of snapshots.packages) queue.add(name);
      live = snapshots.live;
      // A BOLT profile is whole only once its writer is gone; until then it is busy, unless its build
      // dumps periodically: then each pass merges what grew, and the copy after the watcher is gone is the last.
      const fdata = ours.filter((f) => f.format === 'fdata');
      const writing = new Set(fdata.filter((f) => !fdataWriterGone(f)));
      const periodic = (f: SpoolFile) =>
        (attribution.packages.get(attribution.byBoltId.get(f.fdata!.buildId) ?? '')?.manifest.dumpInterval ?? null) !==
        null;
      const liveFdata = fdata
        .filter((f) => (writing.has(f) ? periodic(f) : getLiveSnapshot(this.db, f.path) !== null))
        .map((file) => ({ file, ended: !writing.has(file) }));
      harvested.busy += [...writing].filter((f) => !periodic(f)).length;
      live += liveFdata.filter((l) => !l.ended).length;
      const grown = await snapshotLiveFdata(ctx, liveFdata);
      harvested.taken += grown.taken;
      harvested.bytes += grown.bytes;
      harvested.quarantined += grown.quarantined;
      for (const name of grown.packages) queue.add(name);
      const taken = new Set([...writing, ...liveFdata.map((l) => l.file)]);
      const files = ours.filter((f) => !f.live && !taken.has(f));
      await harvestAll(
        files,
        this.limits.batchSize,
        (batch) => harvestBatch(ctx, batch),
        (report) => {
          harvested.taken += report.taken;
          harvested.bytes += report.bytes;
          harvested.busy += report.busy;
          harvested.quarantined += report.quarantined;
          for (const name of packagesToMergeEarly(previous, report.packages)) queue.add(name);
          previous = report.packages;
        },
      );
      for (const name of packagesWithReadyStaged(this.db)) if (attribution.packages.has(name)) queue.add(name);
    } finally {
      queue.close();
      await queue.done;
    }
    merged.sort((a, b) => (a.package < b.package ? -1 : a.package > b.package ? 1 : 0));
    return {
      harvested,
      live,
      merged,
      errors,
      recovered: { ...recovery, orphans },
      status: this.status(),
      directories: scan.directories,
    };
  }
}

/** The users whose data some managed package counts (a package trusting anyone adds nobody in particular). */
function knownUids(self: number, attribution: Attribution): number[] {
  const uids = new Set([self]);
  for (const pkg of attribution.packages.values())
    if (!pkg.trust.anyone) for (const uid of pkg.trust.uids) uids.add(uid);
  return [...uids].sort((a, b) => a - b);
}

function entryExists(path: string | Buffer): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
