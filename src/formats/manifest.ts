/**
 * Parses `$out/nix-support/pgo.json`, the manifest every profiling build writes
 * (a PGO profiling build, `kind: "profile"`, or a BOLT-instrumented one,
 * `kind: "bolt-profile"`), into a normalized form. Pure: text in, value out;
 * every problem of a file is reported together in one InputError naming the file.
 */
import { InputError } from '../errors/errors.js';

/** The tool chain whose profile data the build's programs write: LLVM raw profiles, gcda files, or BOLT's fdata. */
export type Toolchain = 'clang' | 'gcc' | 'bolt';

export interface ManifestBinary {
  output: string;
  path: string;
  /**
   * Lower-case hex, as `readelf -n` and `llvm-profdata show --binary-ids` print it. For BOLT, the
   * build id of the PGO-optimized input file, which names the files its instrumented copy writes.
   */
  buildId: string;
}

export interface ProfileManifest {
  name: string;
  pname: string;
  version: string;
  outPath: string;
  toolchain: Toolchain;
  compilerVersion: string;
  mergeTool: string;
  defaultProfileDir: string;
  /** GCC only: the directory baked in with -fprofile-generate=DIR. */
  gcdaDir: string | null;
  /** BOLT only: the directory the instrumented files write `<build id>.<pid>.fdata` to. */
  boltDir: string | null;
  /**
   * BOLT only: seconds between the periodic dumps of a watcher process (each dump holds every count
   * since the start), or null when files are written only at exit.
   */
  dumpInterval: number | null;
  /** The binaries that write profile data (for BOLT, those that were instrumented). */
  binaries: ManifestBinary[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseManifest(text: string, file: string): ProfileManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InputError('CONFIG_INVALID', `${file}: not valid JSON (${(error as Error).message})`);
  }
  const problems: string[] = [];
  if (!isObject(raw)) throw new InputError('CONFIG_INVALID', `${file}: the manifest must be a JSON object`);
  const text_ = (key: string): string => {
    const value = raw[key];
    if (typeof value === 'string' && value.length > 0) return value;
    problems.push(`"${key}" must be a non-empty string`);
    return '';
  };
  if (raw.nixPgo !== 1) problems.push(`"nixPgo" must be 1 (got ${JSON.stringify(raw.nixPgo)})`);
  if (raw.kind === 'bolt-profile') return parseBoltManifest(raw, file, text_, problems);
  if (raw.kind !== 'profile')
    problems.push(`"kind" must be "profile" or "bolt-profile" (got ${JSON.stringify(raw.kind)})`);
  const toolchain = raw.toolchain;
  if (toolchain !== 'clang' && toolchain !== 'gcc') problems.push(`"toolchain" must be "clang" or "gcc"`);
  const manifest: ProfileManifest = {
    name: text_('name'),
    pname: text_('pname'),
    version: text_('version'),
    outPath: text_('outPath'),
    toolchain: toolchain as Toolchain,
    compilerVersion: text_('compilerVersion'),
    mergeTool: text_('mergeTool'),
    defaultProfileDir: text_('defaultProfileDir'),
    gcdaDir: null,
    boltDir: null,
    dumpInterval: null,
    binaries: [],
  };
  const gcdaDir = raw.gcdaDir;
  if (toolchain === 'gcc') {
    if (typeof gcdaDir !== 'string' || !gcdaDir.startsWith('/') || gcdaDir.endsWith('/')) {
      problems.push('"gcdaDir" must be an absolute directory path for a gcc build');
    } else manifest.gcdaDir = gcdaDir;
  } else if (gcdaDir !== null && gcdaDir !== undefined) {
    problems.push('"gcdaDir" must be null for a clang build');
  }
  const count = eachBinary(raw, problems, (entry, i) => {
    const { output, path, buildId } = entry;
    if (typeof output !== 'string' || output === '') problems.push(`binaries[${i}].output must be a non-empty string`);
    if (typeof path !== 'string' || path === '' || path.startsWith('/'))
      problems.push(`binaries[${i}].path must be a relative path`);
    if (typeof buildId !== 'string' || !/^[0-9a-fA-F]{2,128}$/.test(buildId) || buildId.length % 2 !== 0) {
      problems.push(`binaries[${i}].buildId must be a hex string`);
    } else if (typeof output === 'string' && typeof path === 'string') {
      manifest.binaries.push({ output, path, buildId: buildId.toLowerCase() });
    }
  });
  if (toolchain === 'clang' && count === 0) problems.push('"binaries" must list at least one binary for a clang build');
  return finish(manifest, file, problems);
}

/** Calls `check` on each entry of `binaries` that is an object, reporting what is not; returns how many entries there are. */
function eachBinary(raw: Json, problems: string[], check: (entry: Json, index: number) => void): number {
  const binaries = raw.binaries;
  if (!Array.isArray(binaries)) {
    problems.push('"binaries" must be a list');
    return 0;
  }
  binaries.forEach((entry: unknown, i) => {
    if (isObject(entry)) check(entry, i);
    else problems.push(`binaries[${i}] must be an object`);
  });
  return binaries.length;
}

function finish(manifest: ProfileManifest, file: string, problems: readonly string[]): ProfileManifest {
  if (problems.length > 0) {
    throw new InputError('CONFIG_INVALID', `${file}: invalid profiling manifest`, { hints: [...problems] });
  }
  return manifest;
}

const BUILD_ID = /^[0-9a-f]{16,128}$/;

/** A BOLT-instrumented build: the files it instrumented, the directory they write to, the merge tool of its BOLT. */
function parseBoltManifest(
  raw: Json,
  file: string,
  text_: (key: string) => string,
  problems: string[],
): ProfileManifest {
  const boltDir = raw.boltDir;
  const manifest: ProfileManifest = {
    name: text_('name'),
    pname: text_('pname'),
    version: text_('version'),
    outPath: text_('outPath'),
    toolchain: 'bolt',
    compilerVersion: text_('compilerVersion'),
    mergeTool: text_('mergeTool'),
    defaultProfileDir: '',
    gcdaDir: null,
    boltDir: null,
    dumpInterval: null,
    binaries: [],
  };
  const dumpInterval = raw.dumpInterval;
  if (typeof dumpInterval === 'number' && Number.isInteger(dumpInterval) && dumpInterval > 0)
    manifest.dumpInterval = dumpInterval;
  else if (dumpInterval !== null && dumpInterval !== undefined)
    problems.push('"dumpInterval" must be a positive whole number of seconds, or null');
  if (
    typeof boltDir !== 'string' ||
    !boltDir.startsWith('/') ||
    boltDir.endsWith('/') ||
    boltDir.includes('/../') ||
    boltDir.includes('/./')
  ) {
    problems.push('"boltDir" must be an absolute directory path');
  } else {
    manifest.boltDir = boltDir;
    manifest.defaultProfileDir = boltDir;
  }
  eachBinary(raw, problems, (entry, i) => {
    const { output, path, inputBuildId, outcome } = entry;
    if (outcome !== 'instrumented') return;
    if (
      typeof output !== 'string' ||
      output === '' ||
      typeof path !== 'string' ||
      path === '' ||
      path.startsWith('/')
    ) {
      problems.push(`binaries[${i}] must have an output name and a relative path`);
    } else if (typeof inputBuildId !== 'string' || !BUILD_ID.test(inputBuildId)) {
      problems.push(`binaries[${i}].inputBuildId must be a lower-case hex build id`);
    } else manifest.binaries.push({ output, path, buildId: inputBuildId });
  });
  return finish(manifest, file, problems);
}

/** What a BOLT build did with each ELF file: instrumented or optimized it, or kept the PGO-optimized file and why. */
export interface BoltFileOutcome {
  path: string;
  outcome: 'instrumented' | 'optimized' | 'fallback';
  reason: string | null;
}

/** The per-file outcomes of a BOLT build's manifest (lenient: for display; unknown entries are skipped). */
export function parseBoltOutcomes(text: string): BoltFileOutcome[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return [];
  }
  const binaries = isObject(raw) && Array.isArray(raw.binaries) ? (raw.binaries as unknown[]) : [];
  return binaries.filter(isObject).flatMap((b) => {
    const { path, outcome, reason } = b;
    if (typeof path !== 'string' || (outcome !== 'instrumented' && outcome !== 'optimized' && outcome !== 'fallback'))
      return [];
    return [{ path, outcome, reason: typeof reason === 'string' ? reason : null }];
  });
}
