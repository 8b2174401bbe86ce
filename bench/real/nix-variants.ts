// The variants that come out of Nix: the plain package and its instrumented
// build (`pgo.profile`), each with an out-link in the work directory as GC root.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nixBuild } from '../../src/tools/nix-build.js';
import type { ProgramSpec } from './program-spec.js';

const BUILD_TIMEOUT_MS = 30 * 60_000;

/** Builds `spec.name` + `attrSuffix`, optionally with selected profiles; returns the store path. */
export async function buildNixAttr(
  spec: ProgramSpec,
  attrSuffix: string,
  work: string,
  profiles: Record<string, string> = {},
): Promise<string> {
  const attr = `${spec.name}${attrSuffix}`;
  const args = { ...spec.nixArgs };
  const selected = Object.entries(profiles);
  if (selected.length > 0) {
    args.pgoProfiles = `{ ${selected.map(([name, path]) => `${name} = ${JSON.stringify(path)};`).join(' ')} }`;
  }
  const { storePath } = await nixBuild({
    file: spec.nixFile,
    attr,
    args,
    outLink: join(work, `nix-${attr.replace(/\./g, '-')}`),
    timeoutMs: BUILD_TIMEOUT_MS,
  });
  return storePath;
}

/**
 * Writes a Nix file that takes only `pgoProfiles`, with the spec's other
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
      `{ pgoProfiles ? { } }:\nimport ${JSON.stringify(spec.nixFile)} { ${bound} inherit pgoProfiles; }\n`,
  );
  return { ...spec, nixFile: file, nixArgs: {} };
}
