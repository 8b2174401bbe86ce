// BOLT after PGO, through the daemon, as a user turns it on: with the
// PGO-optimized variant active, the config asks for the BOLT stage; the
// daemon builds the BOLT-instrumented variant and switches to it; the training
// runs it (its profiles go to the directory baked into it); the daemon
// harvests and merges them; `nix-pgo build` then builds and switches to the
// BOLT-optimized variant.
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseManifest, type BoltFileOutcome } from '../../src/formats/manifest.js';
import type { PackageStatus } from '../../src/status/collect-status.js';
import type { Check, ProgramSpec } from './program-spec.js';
import { runTraining } from './training.js';

/** One build the daemon made: its store path, wall seconds, and whether it was built now. */
export interface DaemonBuild {
  storePath: string;
  seconds: number;
  built: boolean;
}

export interface BoltVariants {
  instrumented: DaemonBuild;
  optimized: DaemonBuild;
  /** Where the BOLT-instrumented files write their profiles (baked into them). */
  boltDir: string;
  /** The build ids the BOLT profiles are named by (those of the PGO-optimized files). */
  buildIds: string[];
  /** What the BOLT-optimized build did with each ELF file. */
  files: BoltFileOutcome[];
  checks: Check[];
}

/** What the BOLT stage needs of the running daemon. */
export interface DaemonControl {
  /** Rewrites the config with the package's BOLT stage on and has the daemon reload it. */
  enableBolt(): void;
  /** Polls `status` until `done`, failing on a failed build or at the deadline; `poke` runs before each poll. */
  waitFor(what: string, done: (p: PackageStatus) => boolean, poke?: () => void): Promise<PackageStatus>;
  /** `nix-pgo build NAME`. */
  build(): Promise<void>;
  /** The build the package's last status reports, as a DaemonBuild. */
  lastBuild(p: PackageStatus): DaemonBuild;
  /** Starts a harvest pass (a change in the spool). */
  nudge(): void;
  /** Nothing staged and not yet merged. */
  merged(): boolean;
  /** Stops the daemon's process (SIGSTOP) until the function it returns is called. */
  pause(): () => void;
}

/**
 * The BOLT profiles this user's programs wrote below `boltDir` (in its own directory of it, `<uid>/`) named by one
 * of `buildIds` (`<build id>.<pid>.fdata`).
 */
export function listBoltProfiles(boltDir: string, buildIds: readonly string[]): string[] {
  const dir = join(boltDir, String(process.getuid?.() ?? 0));
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.fdata') && buildIds.some((id) => name.startsWith(`${id}.`)))
    .map((name) => join(dir, name));
}

/** The processes that wrote these BOLT profiles (the pid in `<build id>.<pid>.fdata`). */
export function countProcesses(paths: readonly string[]): number {
  return new Set(paths.map((path) => basename(path).split('.')[1])).size;
}

/** Removes the BOLT profiles the benchmark's own measuring runs left (no daemon takes them). */
export function removeBoltProfiles(dir: string, buildIds: readonly string[], sinceMs: number): number {
  let removed = 0;
  for (const path of listBoltProfiles(dir, buildIds)) {
    if (statSync(path).mtimeMs < sinceMs) continue;
    rmSync(path, { force: true });
    removed++;
  }
  return removed;
}

export async function runBoltStage(
  spec: ProgramSpec,
  daemon: DaemonControl,
  work: string,
  log: (line: string) => void,
): Promise<BoltVariants> {
  log(`${spec.name}: turning on the BOLT stage in the daemon's config`);
  daemon.enableBolt();
  const profiling = await daemon.waitFor(
    'switch to the BOLT-instrumented variant',
    (p) => p.activeVariant === 'bolt-profile' && p.lastBuild?.variant === 'bolt-profile',
  );
  const instrumented = daemon.lastBuild(profiling);
  const manifestFile = join(instrumented.storePath, 'nix-support', 'pgo.json');
  const manifest = parseManifest(readFileSync(manifestFile, 'utf8'), manifestFile);
  if (manifest.boltDir === null)
    throw new Error(`${manifestFile}: a BOLT-instrumented variant's manifest names no boltDir`);
  const boltDir = manifest.boltDir;
  const buildIds = manifest.binaries.map((b) => b.buildId.toLowerCase());
  const before = new Set(listBoltProfiles(boltDir, buildIds));
  log(`${spec.name}: training the BOLT-instrumented variant (${spec.train.length} workloads, profiles in ${boltDir})`);
  // The daemon waits while the training runs: it takes a file as soon as its process is gone, and every file the
  // training wrote must still be there to be counted.
  const resume = daemon.pause();
  let written: string[];
  try {
    // The environment's raw-profile variable does not matter: this variant is not PGO-instrumented.
    await runTraining(join(instrumented.storePath, spec.binary), spec.train, '/dev/null', work, true);
    written = listBoltProfiles(boltDir, buildIds).filter((path) => !before.has(path));
  } finally {
    resume();
  }
  // A run writes one file per instrumented ELF file it loaded (a program and its libraries): runs are processes.
  const runs = countProcesses(written);
  const ready = await daemon.waitFor(
    'harvest and merge the BOLT training',
    (p) => p.state === 'bolt-ready' && (p.bolt?.runs ?? 0) >= runs && daemon.merged(),
    () => daemon.nudge(),
  );
  const left = listBoltProfiles(boltDir, buildIds).filter((path) => !before.has(path));
  log(`${spec.name}: ${ready.bolt?.runs} BOLT runs merged; asking the daemon to build the BOLT-optimized variant`);
  await daemon.build();
  const done = await daemon.waitFor(
    'switch to the BOLT-optimized variant',
    (p) => p.activeVariant === 'bolt-optimized' && p.lastBuild?.variant === 'bolt-optimized',
  );
  const files = done.bolt?.files ?? [];
  return {
    instrumented,
    optimized: daemon.lastBuild(done),
    boltDir,
    buildIds,
    files,
    checks: [
      {
        name: 'the daemon took every BOLT profile the training wrote',
        ok: runs > 0 && left.length === 0 && ready.bolt?.runs === runs,
        detail: `${written.length} file(s) from ${runs} run(s) written, ${ready.bolt?.runs ?? 0} runs merged, ${left.length} left in ${boltDir}`,
      },
    ],
  };
}
