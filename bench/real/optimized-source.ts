// Where the "nix-pgo optimized" variant comes from: by default the real daemon
// (training writes into its spool; it harvests, merges, builds and switches),
// or, with --local-merge, a script that merges and builds `pgo.optimized`.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { run, startBackground } from '../../src/process/run.js';
import { spoolEnvironment } from '../../src/spool/spool-environment.js';
import type { Status } from '../../src/status/collect-status.js';
import { parseManifest } from '../../src/formats/manifest.js';
import type { ProgramSpec } from './program-spec.js';
import { buildNixAttr } from './nix-variants.js';
import { makeRawProfileDir, mergeRawProfiles } from './training.js';

export interface OptimizedVariantSource {
  /** Says in the report how the variant was produced. */
  readonly label: string;
  /** The LLVM_PROFILE_FILE pattern the instrumented variant's training runs write to. */
  trainingProfileFile(spec: ProgramSpec): string;
  /** Whether the training runs overlap (all at once, harvested afterwards) rather than run one after another. */
  readonly overlappingTraining: boolean;
  /** After training: the store path of the optimized package. */
  optimizedStorePath(spec: ProgramSpec, instrumented: string): Promise<string>;
}

/** Merge with the manifest's `mergeTool`, then `nix-build -A NAME.pgo.optimized --arg pgoProfiles`. */
export function makeLocalMergeSource(work: string): OptimizedVariantSource {
  const rawDir = (spec: ProgramSpec) => join(work, `${spec.name}-nix-pgo-raw`);
  return {
    label: 'pgo.optimized with the merged training profile (manifest mergeTool)',
    trainingProfileFile: (spec) => join(makeRawProfileDir(rawDir(spec)), '%p-%m.profraw'),
    overlappingTraining: false,
    async optimizedStorePath(spec, instrumented) {
      const manifestFile = join(instrumented, 'nix-support', 'pgo.json');
      const { mergeTool } = parseManifest(readFileSync(manifestFile, 'utf8'), manifestFile);
      const profile = await mergeRawProfiles(mergeTool, rawDir(spec), join(work, `${spec.name}-nix-pgo.profdata`));
      return buildNixAttr(spec, '.pgo.optimized', work, { [spec.name]: profile });
    },
  };
}

const cli = resolve(import.meta.dirname, '../../src/cli/main.js');

/**
 * The daemon on a state dir of its own: training runs write into its spool;
 * the daemon then builds the profiling variant (the same derivation, so the
 * same build IDs), harvests, merges, and builds and switches to the optimized
 * one. Returns the store path it switched to.
 */
export function makeDaemonSource(work: string): OptimizedVariantSource {
  const stateDir = (spec: ProgramSpec) => join(work, `${spec.name}-daemon`, 'state');
  return {
    label: 'the nix-pgo daemon (spool, harvest, merge, store, build, switch); training runs overlap and pile up before the daemon starts',
    trainingProfileFile: (spec) => spoolEnvironment(join(stateDir(spec), 'spool'), process.getuid!()).LLVM_PROFILE_FILE,
    // The runs pile up in the spool, all at once, before the daemon harvests any: the case that lost value profiles with %m.
    overlappingTraining: true,
    async optimizedStorePath(spec) {
      const dir = join(work, `${spec.name}-daemon`);
      mkdirSync(dir, { recursive: true });
      const configFile = join(dir, 'config.json');
      // A tiny threshold: the benchmark decides how much training there is, not the policy.
      writeFileSync(
        configFile,
        JSON.stringify({ stateDir: stateDir(spec), nixFile: spec.nixFile, policy: { thresholdMB: 0.0001 }, packages: { [spec.name]: {} } }),
      );
      const daemon = startBackground(process.execPath, [cli, 'daemon', '--config', configFile]);
      try {
        const until = Date.now() + 60 * 60 * 1000;
        for (;;) {
          const status = JSON.parse((await run(process.execPath, [cli, 'status', '--config', configFile, '--json'])).stdout) as Status;
          const p = status.packages[0]!;
          if (p.state === 'optimized' && p.activePath) return p.activePath;
          if (p.lastBuild && !p.lastBuild.ok && p.lastBuild.variant === 'optimized') throw new Error(`the daemon's optimized build failed: ${p.lastBuild.error}\n${p.lastBuild.logTail}`);
          if (Date.now() > until) throw new Error(`the daemon did not optimize ${spec.name} within an hour: ${p.reason}`);
          await new Promise((r) => setTimeout(r, 500));
        }
      } finally {
        daemon.kill('SIGTERM');
        await daemon.exited;
        writeFileSync(join(dir, 'daemon.log'), daemon.output());
      }
    },
  };
}
