/**
 * Which managed package a profile belongs to: LLVM raw profiles by the ELF
 * build IDs in their header, gcda trees by the per-package directory the build
 * baked in. Built from the manifests once per pass.
 */
import { basename } from 'node:path';
import type { ProfileManifest } from '../formats/manifest.js';

export interface ManagedPackage {
  name: string;
  manifest: ProfileManifest;
}

export interface Attribution {
  byBuildId: Map<string, string>;
  byGcdaId: Map<string, string>;
  packages: Map<string, ManagedPackage>;
  /** Build IDs or gcda dirs claimed by two packages: the later claim is ignored. */
  conflicts: string[];
}

export function buildAttribution(packages: readonly ManagedPackage[]): Attribution {
  const attribution: Attribution = { byBuildId: new Map(), byGcdaId: new Map(), packages: new Map(), conflicts: [] };
  const claim = (map: Map<string, string>, key: string, name: string, what: string) => {
    const owner = map.get(key);
    if (owner !== undefined && owner !== name) attribution.conflicts.push(`${what} ${key} is claimed by ${owner} and ${name}`);
    else map.set(key, name);
  };
  for (const pkg of packages) {
    attribution.packages.set(pkg.name, pkg);
    for (const binary of pkg.manifest.binaries) claim(attribution.byBuildId, binary.buildId, pkg.name, 'build id');
    if (pkg.manifest.gcdaDir) claim(attribution.byGcdaId, basename(pkg.manifest.gcdaDir), pkg.name, 'gcda dir');
  }
  return attribution;
}
