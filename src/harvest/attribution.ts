/**
 * Which managed package a profile belongs to, and whether its contributor
 * counts: LLVM raw profiles go by the ELF build IDs in their header, gcda
 * files by the directory their build baked in (which the spool mirrors below a
 * user's directory), BOLT profiles by the build id in their name. Built from
 * the manifests once per pass.
 */
import type { ProfileManifest } from '../formats/manifest.js';

/** Whose data counts for a package. */
export type TrustRule = { anyone: true } | { anyone: false; uids: ReadonlySet<number> };

export interface ManagedPackage {
  name: string;
  manifest: ProfileManifest;
  trust: TrustRule;
}

export interface Attribution {
  byBuildId: Map<string, string>;
  /** The build id a BOLT-instrumented file names its profiles by → package. */
  byBoltId: Map<string, string>;
  /** The baked gcdaDir without its leading `/` → package. */
  byGcdaDir: Map<string, string>;
  packages: Map<string, ManagedPackage>;
  /** Build IDs or gcda dirs claimed by two packages: the later claim is ignored. */
  conflicts: string[];
}

export function buildAttribution(packages: readonly ManagedPackage[]): Attribution {
  const attribution: Attribution = {
    byBuildId: new Map(),
    byBoltId: new Map(),
    byGcdaDir: new Map(),
    packages: new Map(),
    conflicts: [],
  };
  const claim = (map: Map<string, string>, key: string, name: string, what: string) => {
    const owner = map.get(key);
    if (owner !== undefined && owner !== name)
      attribution.conflicts.push(`${what} ${key} is claimed by ${owner} and ${name}`);
    else map.set(key, name);
  };
  for (const pkg of packages) {
    attribution.packages.set(pkg.name, pkg);
    const ids = pkg.manifest.toolchain === 'bolt' ? attribution.byBoltId : attribution.byBuildId;
    for (const binary of pkg.manifest.binaries) claim(ids, binary.buildId, pkg.name, 'build id');
    if (pkg.manifest.gcdaDir)
      claim(attribution.byGcdaDir, pkg.manifest.gcdaDir.replace(/^\/+/, ''), pkg.name, 'gcda dir');
  }
  return attribution;
}

/** The package whose baked directory holds `gcdaPath` (a path below a user's directory), and the file's path inside it. */
export function findGcdaOwner(attribution: Attribution, gcdaPath: string): { package: string; relPath: string } | null {
  let dir = gcdaPath;
  for (let cut = dir.lastIndexOf('/'); cut > 0; cut = dir.lastIndexOf('/')) {
    dir = dir.slice(0, cut);
    const owner = attribution.byGcdaDir.get(dir);
    if (owner !== undefined) return { package: owner, relPath: gcdaPath.slice(dir.length + 1) };
  }
  return null;
}

export function trusts(attribution: Attribution, pkg: string, uid: number): boolean {
  const trust = attribution.packages.get(pkg)?.trust;
  return trust !== undefined && (trust.anyone || trust.uids.has(uid));
}
