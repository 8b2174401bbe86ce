// Helpers for tests that build the example package set with the real Nix.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { run } from '../../src/process/run.js';
import { ToolError } from '../../src/errors/errors.js';
import { substituterOptions } from '../../src/tools/nix-common.js';
import { manifestPathOf } from '../../src/formats/manifest.js';
import { MANIFEST_SCHEMAS, type ManifestKind } from '../../src/formats/manifest-schema.js';
import { Value } from '@sinclair/typebox/value';

export const repoRoot = resolve(import.meta.dirname, '../../..');
export const examples = join(repoRoot, 'examples');

/** The binary cache is unreachable here; asking it would only add timeouts. */
const offline = substituterOptions(false);

export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `nix-pgo-${prefix}-`));
}

/** `nix-build` with an out-link in `dir`; returns the store path. */
export async function nixBuild(dir: string, args: string[], link = 'result'): Promise<string> {
  const { stdout } = await run('nix-build', [...offline, '-o', join(dir, link), ...args], { timeoutMs: 600_000 });
  return stdout.trim().split('\n').at(-1) ?? '';
}

/** `nix-build` with an out-link in `dir`; returns the store path and the log (stderr). */
export async function nixBuildWithLog(
  dir: string,
  args: string[],
  link = 'result',
): Promise<{ path: string; log: string }> {
  const { stdout, stderr } = await run('nix-build', [...offline, '-o', join(dir, link), ...args], {
    timeoutMs: 600_000,
  });
  return { path: stdout.trim().split('\n').at(-1) ?? '', log: stderr };
}

/** Runs a nix-build that must fail and returns its stderr. */
export async function nixBuildFailure(args: string[]): Promise<string> {
  try {
    const { stdout } = await run('nix-build', [...offline, '--no-out-link', ...args], { timeoutMs: 600_000 });
    throw new Error(`nix-build ${args.join(' ')} succeeded but should have failed: ${stdout}`);
  } catch (error) {
    if (error instanceof ToolError) return error.stderr;
    throw error;
  }
}

/** Builds an attribute of the example set, optionally with selected profiles. */
export function buildExample(
  dir: string,
  attr: string,
  profiles: Record<string, string> = {},
  link = attr,
): Promise<string> {
  return nixBuild(dir, [examples, '-A', attr, ...profileArgs(profiles)], link);
}

export function profileArgs(profiles: Record<string, string>): string[] {
  const entries = Object.entries(profiles);
  if (entries.length === 0) return [];
  const set = entries.map(([name, path]) => `${name} = ${JSON.stringify(path)};`).join(' ');
  return ['--arg', 'pgoProfiles', `{ ${set} }`];
}

export interface ManifestBinary {
  output: string;
  path: string;
  buildId: string;
}

export interface Manifest {
  nixPgo: number;
  kind: 'profile' | 'optimized';
  name: string;
  pname: string;
  version: string;
  outPath: string;
  toolchain: 'clang' | 'gcc';
  compilerVersion: string;
  mergeTool?: string;
  defaultProfileDir: string;
  gcdaDir: string | null;
  profile?: string;
  profileSha256?: string | null;
  binaries: ManifestBinary[];
}

/**
 * The manifest of a real build, checked against schema/manifest.schema.json's definition: it fits its
 * kind's schema exactly (no member the schema does not know), and has every top-level member the
 * schema declares (optional ones are optional for older manifests, not for what the builders write now).
 */
export function checkedManifest<T>(storePath: string): T {
  const file = manifestPathOf(storePath);
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as { kind?: string };
  const schema = MANIFEST_SCHEMAS[manifest.kind as ManifestKind];
  assert.ok(schema, `${file}: unknown kind ${JSON.stringify(manifest.kind)}`);
  const errors = [...Value.Errors(schema, manifest)].map((e) => `${e.path}: ${e.message}`);
  assert.deepEqual(errors, [], `${file} does not fit the schema of a ${manifest.kind} manifest`);
  const missing = Object.keys(schema.properties).filter((key) => !(key in manifest));
  assert.deepEqual(missing, [], `${file} lacks members the builders write`);
  return manifest as T;
}

export function readManifest(storePath: string): Manifest {
  return checkedManifest<Manifest>(storePath);
}

/** The ELF build ID as `readelf -n` prints it, or null. */
export async function buildIdOf(file: string): Promise<string | null> {
  const { stdout } = await run('readelf', ['-n', file]);
  return /Build ID: ([0-9a-f]+)/.exec(stdout)?.[1] ?? null;
}

/** Every ELF file below a directory (store outputs are small). */
export function elfFilesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: false }) as string[]) {
    const path = join(dir, entry);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat?.isFile()) continue;
    if (readFileSync(path).subarray(0, 4).toString('latin1') === '\x7fELF') found.push(path);
  }
  return found.sort();
}

/** The bytes of a binary's .text section, to tell whether two builds generated the same code. */
export async function textSection(file: string, dir: string): Promise<Buffer> {
  const out = join(dir, `text-${Math.random().toString(36).slice(2)}.bin`);
  await run('objcopy', ['-O', 'binary', '--only-section=.text', file, out]);
  return readFileSync(out);
}

/** Runs a program and returns its stdout. */
export async function runProgram(
  file: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {},
): Promise<string> {
  return (await run(file, args, options)).stdout;
}
