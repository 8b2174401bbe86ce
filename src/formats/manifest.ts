/**
 * Parses `$out/nix-support/pgo.json`, the manifest every profiling build writes
 * (a PGO profiling build, `kind: "profile"`, or a BOLT-instrumented one,
 * `kind: "bolt-profile"`), into a normalized form, checked against its schema
 * (manifest-schema.ts). Pure: text in, value out; every problem of a file is
 * reported together in one InputError naming the file.
 */
import { join } from 'node:path';
import { InputError } from '../errors/errors.js';
import { formatProblems } from './format-problems.js';
import {
  type BoltProfileManifestFile,
  BoltProfileManifestSchema,
  type ProfileManifestFile,
  ProfileManifestSchema,
} from './manifest-schema.js';

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

/** Where every variant keeps its manifest, below its (first) output's store path. */
export function manifestPathOf(storePath: string): string {
  return join(storePath, 'nix-support', 'pgo.json');
}

export function parseManifest(text: string, file: string): ProfileManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InputError('CONFIG_INVALID', `${file}: not valid JSON (${(error as Error).message})`);
  }
  if (!isObject(raw)) throw new InputError('CONFIG_INVALID', `${file}: the manifest must be a JSON object`);
  if (raw.kind === 'bolt-profile') return parseBoltManifest(raw, file);
  // Any other kind is one problem; the rest is checked as a PGO profiling manifest.
  const problems = formatProblems(ProfileManifestSchema, { ...raw, kind: 'profile' });
  if (raw.kind !== 'profile')
    problems.unshift(`kind must be "profile" or "bolt-profile" (a profiling build), not ${JSON.stringify(raw.kind)}`);
  const m = raw as ProfileManifestFile;
  // What the schema cannot say: the members that depend on the compiler.
  if (m.toolchain === 'gcc' && typeof m.gcdaDir !== 'string')
    problems.push('gcdaDir must be an absolute directory path for a gcc build');
  if (m.toolchain === 'clang' && m.gcdaDir !== null && m.gcdaDir !== undefined)
    problems.push('gcdaDir must be null for a clang build');
  if (m.toolchain === 'clang' && Array.isArray(m.binaries) && m.binaries.length === 0)
    problems.push('binaries must list at least one binary for a clang build');
  finish(file, problems);
  return {
    name: m.name,
    pname: m.pname,
    version: m.version,
    outPath: m.outPath,
    toolchain: m.toolchain,
    compilerVersion: m.compilerVersion,
    mergeTool: m.mergeTool,
    defaultProfileDir: m.defaultProfileDir,
    gcdaDir: m.toolchain === 'gcc' ? (m.gcdaDir ?? null) : null,
    boltDir: null,
    dumpInterval: null,
    binaries: m.binaries.map(({ output, path, buildId }) => ({ output, path, buildId: buildId.toLowerCase() })),
  };
}

function finish(file: string, problems: readonly string[]): void {
  if (problems.length > 0) {
    throw new InputError('CONFIG_INVALID', `${file}: invalid profiling manifest`, { hints: [...problems] });
  }
}

/** A BOLT-instrumented build: the files it instrumented, the directory they write to, the merge tool of its BOLT. */
function parseBoltManifest(raw: Json, file: string): ProfileManifest {
  const problems = formatProblems(BoltProfileManifestSchema, raw);
  const m = raw as BoltProfileManifestFile;
  const binaries = Array.isArray(m.binaries) ? m.binaries : [];
  binaries.forEach((b, i) => {
    if (b?.outcome === 'instrumented' && b.inputBuildId === '')
      problems.push(`binaries[${i}].inputBuildId must be a lower-case hex build id for an instrumented file`);
  });
  finish(file, problems);
  const instrumented = binaries.filter((b) => b.outcome === 'instrumented');
  return {
    name: m.name,
    pname: m.pname,
    version: m.version,
    outPath: m.outPath,
    toolchain: 'bolt',
    compilerVersion: m.compilerVersion ?? '',
    mergeTool: m.mergeTool,
    defaultProfileDir: m.boltDir,
    gcdaDir: null,
    boltDir: m.boltDir,
    dumpInterval: m.dumpInterval ?? null,
    binaries: instrumented.map(({ output, path, inputBuildId }) => ({ output, path, buildId: inputBuildId })),
  };
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
