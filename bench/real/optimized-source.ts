// Where the "nix-pgo optimized" variant comes from: by default the real daemon
// (training writes into its spool; it harvests, merges, builds and switches),
// or, with --local-merge, a script that merges and builds `pgo.optimized`.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { run, startBackground } from '../../src/process/run.js';
import { userSpoolDir } from '../../src/spool/spool-layout.js';
import { stateLayout } from '../../src/state/state-layout.js';
import type { PackageStatus, Status } from '../../src/status/collect-status.js';
import { parseManifest } from '../../src/formats/manifest.js';
import {
  DEFAULT_BUILD_TIMEOUT_MINUTES,
  type Check,
  type LiveObservation,
  type LiveSession,
  type LiveTrainingResult,
  type ProgramSpec,
} from './program-spec.js';
import { buildNixAttr, logShowsBuild } from './nix-variants.js';
import { makeRawProfileDir, mergeRawProfiles } from './training.js';
import { runBoltStage, type BoltVariants, type DaemonBuild, type DaemonControl } from './bolt-stage.js';

export interface OptimizedVariant {
  storePath: string;
  /** The optimized build: wall seconds, and whether it was built now (false: the store had it). */
  build: { seconds: number; built: boolean };
  /** The long-running part of the training, when the program has one. */
  live: LiveTrainingResult | null;
  /** What must hold of the way it was made (e.g. the spool left with no data). */
  checks: Check[];
  /** The BOLT variants built on it, for programs with `bolt` (through the daemon only). */
  bolt: BoltVariants | null;
}

/** The build a status reports last: store path, wall seconds, and whether its log shows a build (not a store hit). */
function describeLastBuild(p: PackageStatus): DaemonBuild {
  const lastBuild = p.lastBuild;
  if (!lastBuild || !p.activePath) throw new Error(`${p.name}: the status shows no build and no active variant`);
  const seconds = (Date.parse(lastBuild.endedAt) - Date.parse(lastBuild.startedAt)) / 1000;
  const built = existsSync(lastBuild.logFile) ? logShowsBuild(readFileSync(lastBuild.logFile, 'utf8')) : true;
  return { storePath: p.activePath, seconds, built };
}

export interface OptimizedVariantSource {
  /** Says in the report how the variant was produced. */
  readonly label: string;
  /** The LLVM_PROFILE_FILE pattern the instrumented variant's training runs write to. */
  trainingProfileFile(spec: ProgramSpec): string;
  /** Whether the training runs overlap (all at once, harvested afterwards) rather than run one after another. */
  readonly overlappingTraining: boolean;
  /**
   * After the batch training: runs the spec's long-running training (if any)
   * and returns the optimized package. `instrumented` is the store path of `pgo.profile`.
   */
  optimizedVariant(spec: ProgramSpec, instrumented: string, log: (line: string) => void): Promise<OptimizedVariant>;
}

/** Merge with the manifest's `mergeTool`, then `nix-build -A NAME.pgo.optimized --arg pgoProfiles`. */
export function makeLocalMergeSource(work: string): OptimizedVariantSource {
  const rawDir = (spec: ProgramSpec) => join(work, `${spec.name}-nix-pgo-raw`);
  const profileFile = (spec: ProgramSpec) => join(makeRawProfileDir(rawDir(spec)), '%p-%m.profraw');
  return {
    label: 'pgo.optimized with the merged training profile (manifest mergeTool)',
    trainingProfileFile: profileFile,
    overlappingTraining: false,
    async optimizedVariant(spec, instrumented, log) {
      const live = spec.trainLive
        ? await spec.trainLive({
            root: instrumented,
            env: { ...process.env, LLVM_PROFILE_FILE: profileFile(spec) },
            cwd: work,
            whileRunning: async () => null,
            log,
          })
        : null;
      const manifestFile = join(instrumented, 'nix-support', 'pgo.json');
      const { mergeTool } = parseManifest(readFileSync(manifestFile, 'utf8'), manifestFile);
      const profile = await mergeRawProfiles(mergeTool, rawDir(spec), join(work, `${spec.name}-nix-pgo.profdata`));
      const outcome = await buildNixAttr(spec, '.pgo.optimized', work, { [spec.name]: profile });
      if (spec.bolt) log(`${spec.name}: no BOLT variants with --local-merge (they come through the daemon)`);
      return {
        storePath: outcome.storePath,
        build: { seconds: outcome.seconds, built: outcome.built },
        live,
        checks: [],
        bolt: null,
      };
    },
  };
}

const cli = resolve(import.meta.dirname, '../../src/cli/main.js');

const POLL_MS = 500;

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Every file below a spool directory, with its size. */
export function listSpool(dir: string): { path: string; bytes: number }[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[])
    .map((entry) => join(dir, entry))
    .flatMap((path) => {
      const st = statSync(path);
      return st.isFile() ? [{ path, bytes: st.size }] : [];
    });
}

/**
 * What must hold of the spool once the daemon has built the optimized
 * variant: no file appeared after the training (no build wrote into it), and
 * every raw profile written at exit was taken. A live profile (continuous
 * collection) is read by snapshots and emptied only once the collector can
 * tell that no process maps it; one it cannot tell about keeps its bytes,
 * although its counts are merged (`merged`: nothing staged, no live profile running).
 */
export function checkSpool(
  after: readonly { path: string; bytes: number }[],
  trainingFiles: ReadonlySet<string>,
  merged: boolean,
): Check {
  const appeared = after.filter((f) => !trainingFiles.has(f.path));
  const isLive = (path: string) => basename(path).startsWith('live-');
  const exitData = after.filter((f) => f.bytes > 0 && !isLive(f.path));
  const liveData = after.filter((f) => f.bytes > 0 && isLive(f.path));
  const problems = [
    ...(appeared.length > 0 ? [`written after the training: ${appeared.map((f) => f.path).join(', ')}`] : []),
    ...(exitData.length > 0 ? [`not taken: ${exitData.map((f) => f.path).join(', ')}`] : []),
    ...(merged ? [] : ['data staged but not merged']),
  ];
  const liveNote =
    liveData.length > 0
      ? `; ${liveData.length} live profile(s) of ended programs keep their bytes, their counts merged (the collector empties one only when it can tell that no process maps it)`
      : '';
  return {
    name: 'no build wrote into the spool, and the daemon took what the training wrote',
    ok: problems.length === 0,
    detail: problems.length > 0 ? problems.join('; ') : `${after.length} file(s), all from the training${liveNote}`,
  };
}

/**
 * The daemon on a state dir of its own: training runs write into its spool;
 * the daemon then builds the profiling variant (the same derivation, so the
 * same build IDs), harvests, merges, and builds and switches to the optimized
 * one. Returns the store path it switched to.
 *
 * A program with a long-running part of its training (`trainLive`) runs it
 * while the daemon runs: after the batch runs are merged, the program starts,
 * works, and its live profile is read while it still runs (the status is
 * recorded then); after it stops, its last counts are merged, and only then
 * is the optimized variant built (`onReady: "notify"` and `nix-pgo build`:
 * the benchmark, not the policy, says when the training is over).
 */
export function makeDaemonSource(work: string): OptimizedVariantSource {
  const stateDir = (spec: ProgramSpec) => join(work, `${spec.name}-daemon`, 'state');
  // The user's own directory of the daemon's spool, named by the training's LLVM_PROFILE_FILE (the runtime creates it).
  const profileFile = (spec: ProgramSpec) =>
    join(userSpoolDir(join(stateDir(spec), 'spool'), 'llvm', process.getuid!()), '%p-%m.profraw');
  return {
    label:
      'the nix-pgo daemon (spool, harvest, merge, store, build, switch); training runs overlap and pile up before the daemon starts',
    trainingProfileFile: profileFile,
    // The runs pile up in the spool, all at once, before the daemon harvests any: the case that lost value profiles with %m.
    overlappingTraining: true,
    async optimizedVariant(spec, instrumented, log) {
      const dir = join(work, `${spec.name}-daemon`);
      mkdirSync(dir, { recursive: true });
      const configFile = join(dir, 'config.json');
      const layout = stateLayout(stateDir(spec));
      const spoolLlvm = join(layout.spoolDir, 'llvm');
      const buildTimeoutMinutes = 2 * (spec.buildTimeoutMinutes ?? DEFAULT_BUILD_TIMEOUT_MINUTES);
      // BOLT's own policy waits for `nix-pgo build`: the daemon would otherwise optimize after the first run it harvests.
      const writeConfig = (bolt: boolean) =>
        writeFileSync(
          configFile,
          JSON.stringify({
            stateDir: stateDir(spec),
            nixFile: spec.nixFile,
            // A tiny threshold: the benchmark decides how much training there is, not the policy.
            policy: { thresholdMB: 0.0001, buildTimeoutMinutes, onReady: spec.trainLive ? 'notify' : 'switch' },
            packages: { [spec.name]: bolt ? { bolt: { policy: { onReady: 'notify' } } } : {} },
          }),
        );
      writeConfig(false);
      const status = async (): Promise<PackageStatus> =>
        (JSON.parse((await run(process.execPath, [cli, 'status', '--config', configFile, '--json'])).stdout) as Status)
          .packages[0]!;
      const deadline = Date.now() + (buildTimeoutMinutes + 60) * 60_000;
      const waitFor = async (
        what: string,
        done: (p: PackageStatus) => boolean,
        poke?: () => void,
      ): Promise<PackageStatus> => {
        for (;;) {
          poke?.();
          const p = await status();
          if (done(p)) return p;
          if (p.lastBuild && !p.lastBuild.ok)
            throw new Error(
              `the daemon's ${p.lastBuild.variant} build failed: ${p.lastBuild.error}\n${p.lastBuild.logTail}`,
            );
          if (Date.now() > deadline)
            throw new Error(`the daemon did not get ${spec.name} to ${what} in time: ${p.state}: ${p.reason}`);
          await sleep(POLL_MS);
        }
      };
      // Nothing is staged and not yet merged (staging files go once their merge is committed).
      const merged = () => !existsSync(layout.stagingDir) || readdirSync(layout.stagingDir).length === 0;
      // A change in the spool starts a harvest pass, as a program starting would. A live profile
      // grows in memory, which no file event reports; without this the daemon reads it at its
      // periodic rescan (every 5 minutes).
      const nudge = () => {
        const now = new Date();
        utimesSync(spoolLlvm, now, now);
      };

      // What the batch training wrote; the long-running part adds its files below.
      const trainingFiles = new Set(listSpool(layout.spoolDir).map((f) => f.path));
      const daemon = startBackground(process.execPath, [cli, 'daemon', '--config', configFile]);
      let live: LiveTrainingResult | null = null;
      try {
        if (spec.trainLive) {
          log(`${spec.name}: waiting for the daemon to harvest and merge the batch training runs`);
          const before = await waitFor(
            'merge the batch training runs',
            (p) => p.mergeGeneration > 0 && p.live === null && merged(),
          );
          const session: LiveSession = {
            root: instrumented,
            env: { ...process.env, LLVM_PROFILE_FILE: profileFile(spec) },
            cwd: work,
            log,
            whileRunning: async (pid): Promise<LiveObservation> => {
              const since = new Date().toISOString();
              nudge();
              // Read after the program's clients are gone: the live profiles left running are the long-running program's.
              const p = await waitFor(
                `show the live data of process ${pid}`,
                (s) => s.live !== null && s.live.running > 0 && (s.live.lastSnapshot ?? '') >= since && merged(),
              );
              return {
                at: new Date().toISOString(),
                package: p as unknown as Record<string, unknown>,
                before: before as unknown as Record<string, unknown>,
              };
            },
          };
          live = await spec.trainLive(session);
          log(`${spec.name}: the long-running program stopped; waiting for its last counts to be merged`);
          nudge();
          await waitFor('merge the last counts of the long-running program', (p) => p.live === null && merged());
          for (const f of listSpool(layout.spoolDir)) trainingFiles.add(f.path);
          log(`${spec.name}: asking the daemon to build the optimized variant (nix-pgo build ${spec.name})`);
          await run(process.execPath, [cli, 'build', spec.name, '--config', configFile]);
        }
        const p = await waitFor(
          'optimized',
          (s) => s.state === 'optimized' && s.activePath !== null && s.lastBuild?.variant === 'optimized',
        );
        const optimized = describeLastBuild(p);
        const checks: Check[] = [checkSpool(listSpool(layout.spoolDir), trainingFiles, p.live === null && merged())];
        const control: DaemonControl = {
          enableBolt: () => {
            writeConfig(true);
            daemon.kill('SIGHUP');
          },
          waitFor,
          build: async () => void (await run(process.execPath, [cli, 'build', spec.name, '--config', configFile])),
          lastBuild: describeLastBuild,
          nudge,
          merged,
          pause: () => {
            daemon.kill('SIGSTOP');
            return () => daemon.kill('SIGCONT');
          },
        };
        const bolt = spec.bolt ? await runBoltStage(spec, control, work, log) : null;
        return {
          storePath: optimized.storePath,
          build: { seconds: optimized.seconds, built: optimized.built },
          live,
          checks,
          bolt,
        };
      } finally {
        daemon.kill('SIGTERM');
        await daemon.exited;
        writeFileSync(join(dir, 'daemon.log'), daemon.output());
      }
    },
  };
}
