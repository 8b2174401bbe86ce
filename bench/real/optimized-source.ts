// Where the "nix-pgo optimized" variant comes from. Today the benchmark merges
// the instrumented variant's training profiles and builds `pgo.optimized`
// itself; the daemon implementation will instead let training write into the
// daemon's spool and return the store path the daemon switched to.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifest } from '../../src/harvest/manifest.js';
import type { ProgramSpec } from './program-spec.js';
import { buildNixAttr } from './nix-variants.js';
import { makeRawProfileDir, mergeRawProfiles } from './training.js';

export interface OptimizedVariantSource {
  /** Says in the report how the variant was produced. */
  readonly label: string;
  /** The LLVM_PROFILE_FILE pattern the instrumented variant's training runs write to. */
  trainingProfileFile(spec: ProgramSpec): string;
  /** After training: the store path of the optimized package. */
  optimizedStorePath(spec: ProgramSpec, instrumented: string): Promise<string>;
}

/** Merge with the manifest's `mergeTool`, then `nix-build -A NAME.pgo.optimized --arg pgoProfiles`. */
export function makeLocalMergeSource(work: string): OptimizedVariantSource {
  const rawDir = (spec: ProgramSpec) => join(work, `${spec.name}-nix-pgo-raw`);
  return {
    label: 'pgo.optimized with the merged training profile (manifest mergeTool)',
    trainingProfileFile: (spec) => join(makeRawProfileDir(rawDir(spec)), '%m.profraw'),
    async optimizedStorePath(spec, instrumented) {
      const manifestFile = join(instrumented, 'nix-support', 'pgo.json');
      const { mergeTool } = parseManifest(readFileSync(manifestFile, 'utf8'), manifestFile);
      const profile = await mergeRawProfiles(mergeTool, rawDir(spec), join(work, `${spec.name}-nix-pgo.profdata`));
      return buildNixAttr(spec, '.pgo.optimized', work, { [spec.name]: profile });
    },
  };
}
