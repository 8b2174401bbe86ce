// The variants that come out of Nix: the plain package and its instrumented
// build (`pgo.profile`), each with an out-link in the work directory as GC root.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { nixBuild } from '../../src/tools/nix-build.js';
import { DEFAULT_BUILD_TIMEOUT_MINUTES, type ProgramSpec } from './program-spec.js';

export interface NixBuildOutcome {
  storePath: string;
  /** Wall time of `nix-build`, evaluation included. */
  seconds: number;
  /** False when the store had the output already (nothing was built). */
  built: boolean;
}

/** Whether a `nix-build` log says it built a derivation (Nix 2.8: "building '/nix/store/…drv'..."). */
export function logShowsBuild(log: string): boolean {
  return /^(these \d+ derivations will be built|this derivation will be built|building '\/nix\/store\/)/m.test(log);
}

/** Builds `spec.name` + `attrSuffix`, optionally with selected profiles. */
export async function buildNixAttr(
  spec: ProgramSpec,
  attrSuffix: string,
  work: string,
  profiles: Record<string, string> = {},
): Promise<NixBuildOutcome> {
  const attr = `${spec.name}${attrSuffix}`;
  const args = { ...spec.nixArgs };
  const selected = Object.entries(profiles);
  if (selected.length > 0) {
    args.pgoProfiles = `{ ${selected.map(([name, path]) => `${name} = ${JSON.stringify(path)};`).join(' ')} }`;
  }
  const start = performance.now();
  const { storePath, log } = await nixBuild({
    file: spec.nixFile,
    attr,
    args,
    outLink: join(work, `nix-${attr.replace(/\./g, '-')}`),
    timeoutMs: (spec.buildTimeoutMinutes ?? DEFAULT_BUILD_TIMEOUT_MINUTES) * 60_000,
  });
  return { storePath, seconds: (performance.now() - start) / 1000, built: logShowsBuild(log) };
}

/**
 * Writes a Nix file that takes only `pgoProfiles` and `boltProfiles`, with the spec's other
 * arguments (the source trees) baked in, and returns the spec building from it:
 * a package entry the nix-pgo daemon's config can name as it is.
 */
export function writePackageEntry(spec: ProgramSpec, work: string): ProgramSpec {
  const args = Object.entries(spec.nixArgs);
  if (args.length === 0) return spec;
  const file = join(work, 'packages.nix');
  const bound = args.map(([name, expr]) => `${name} = ${expr};`).join(' ');
  writeFileSync(
    file,
    `# Written by the nix-pgo benchmark: ${spec.nixFile} with this run's source trees.\n` +
      `{ pgoProfiles ? { }, boltProfiles ? { } }:\nimport ${JSON.stringify(spec.nixFile)} { ${bound} inherit pgoProfiles boltProfiles; }\n`,
  );
  return { ...spec, nixFile: file, nixArgs: {} };
}
