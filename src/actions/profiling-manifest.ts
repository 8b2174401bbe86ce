/** A profiling build's manifest and outputs, where the measure of a profile's match and a refresh read its keys. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifest, type ProfileManifest } from '../formats/manifest.js';
import type { LifecycleRecord } from '../model/lifecycle-record.js';
import { readDerivation } from '../variants/read-derivation.js';

/** The manifest of a PGO profiling build, or null when its output has none that can be read. */
export function readProfilingManifest(storePath: string): ProfileManifest | null {
  const file = join(storePath, 'nix-support', 'pgo.json');
  try {
    const manifest = parseManifest(readFileSync(file, 'utf8'), file);
    return manifest.toolchain === 'bolt' ? null : manifest;
  } catch {
    return null;
  }
}

/** Every output of the package's profiling variant (from its derivation when recorded, else the one path known). */
export function profilingOutputs(record: LifecycleRecord): string[] {
  const drvPath = record.origins?.profile?.drvPath;
  if (drvPath && record.profilingPath) {
    try {
      const outputs = Object.values(readDerivation(drvPath).outputs);
      if (outputs.includes(record.profilingPath)) return outputs;
    } catch {
      // The derivation was collected: the recorded output is what there is.
    }
  }
  return record.profilingPath ? [record.profilingPath] : [];
}
