/**
 * Builds small deterministic instrumented programs with the host toolchains,
 * linked with nix-pgo's startup objects as the library links them, and writes
 * the manifest a profiling build would write for them, so the harvest engine
 * can be tested without the Nix library.
 */
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  type Stats,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { run } from '../../src/process/run.js';
import { spoolEnvironment } from '../../src/spool/spool-environment.js';
import { ensureFormatDirs } from '../../src/spool/format-dirs.js';
import { startupObject } from './startup-objects.js';
import { scanSpool, type SpoolScan } from '../../src/spool/scan.js';
import { ensureBoltDir } from '../../src/spool/bolt-dir.js';

/** The spool the fixture's programs bake in when NIX_PGO_SPOOL is unset: the Nix library's default `defaultProfileDir`. */
const DEFAULT_SPOOL = '/tmp/nix-pgo';
/** The directory the fixture's GCC programs bake in, as the Nix library does below its `defaultProfileDir`. */
const GCC_BAKED_ROOT = `${DEFAULT_SPOOL}/gcda`;
import { readFunctionCounts } from './profile-counts.js';
import { parseGcda } from '../../src/formats/gcda-file.js';
import { listTreeFiles } from '../../src/merge/gcda-tree.js';
import { readFdataTree } from '../../src/merge/fdata-tree.js';
import { readFileSync } from 'node:fs';

export const LLVM_PROFDATA = '/usr/lib/llvm-16/bin/llvm-profdata';
export const GCOV_TOOL = '/usr/bin/gcov-tool-12';

// Function names carry the example's name: the runtime's %m file signature hashes the names, so two
// examples with identical code would otherwise share one %m file in a shared spool.
export const LIB_C = `
int lib_work(int n) { int s = 0; for (int i = 0; i < n; i++) { if (i % 3 == 0) s += i; else s -= 1; } return s; }
`;
const PROG_C = `
#include <stdio.h>
#include <string.h>
int lib_work(int n);
static int twice(int x) { return 2 * x; }
static int inc(int x) { return x + 1; }
static int (*ops[2])(int) = { twice, inc };
static int square(int x) { return x * x; }
static int branchy(int n) { int s = 0; for (int i = 0; i < n; i++) { if (i & 1) s += square(i); else s ^= ops[i % 2](i); } return s; }
int main(int argc, char **argv) {
  char a[64], b[64] = {0}; int s = 0;
  for (int k = 0; k < 7; k++) { s += branchy(100 + k); memcpy(a, b, (k % 5) + argc); }
  s += lib_work(50) + a[0];
  printf("%d\\n", s);
  return 0;
}
`;

/** A program and its library in C; `lib_work` is renamed per example. */
export interface ExampleSources {
  prog: string;
  lib: string;
}

function writeSources(dir: string, name: string, sources: ExampleSources = { prog: PROG_C, lib: LIB_C }): void {
  const work = `work_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  writeFileSync(join(dir, 'lib.c'), sources.lib.replaceAll('lib_work', work));
  writeFileSync(join(dir, 'prog.c'), sources.prog.replaceAll('lib_work', work));
}

export interface Example {
  name: string;
  manifestPath: string;
  exe: string;
  toolchain: 'clang' | 'gcc' | 'bolt';
}

const created: string[] = [];
// Each test file runs in its own process, so its scratch directories go when it exits.
process.on('exit', () => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `nix-pgo-${prefix}-`));
  chmodSync(dir, 0o755);
  created.push(dir);
  return dir;
}

async function buildIdOf(file: string): Promise<string> {
  const { stdout } = await run('readelf', ['-n', file]);
  const match = /Build ID: ([0-9a-f]+)/.exec(stdout);
  if (!match) throw new Error(`${file} has no build id`);
  return match[1]!;
}

/** Writes the manifest a profiling build of this example would have in nix-support/pgo.json. */
function writeManifest(
  dir: string,
  name: string,
  build: {
    toolchain: 'clang' | 'gcc';
    compilerVersion: string;
    mergeTool: string;
    gcdaDir: string | null;
    binaries: { output: string; path: string; buildId: string }[];
  },
): Example {
  const manifest = {
    nixPgo: 1,
    kind: 'profile',
    name: `${name}-1.0`,
    pname: name,
    version: '1.0',
    outPath: dir,
    defaultProfileDir: DEFAULT_SPOOL,
    spoolLayout: 2,
    ...build,
  };
  const manifestPath = join(dir, 'pgo.json');
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  return { name, manifestPath, exe: join(dir, name), toolchain: build.toolchain };
}

/** `defaultSpool`: the spool its programs use without NIX_PGO_SPOOL (the library's defaultProfileDir). */
export async function buildClangExample(
  root: string,
  name: string,
  sources?: ExampleSources,
  options: { defaultSpool?: string; flags?: string[] } = {},
): Promise<Example> {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeSources(dir, name, sources);
  const flags = [
    '-O2',
    '-fprofile-generate',
    '-Wl,--build-id',
    ...(options.flags ?? []),
    await startupObject('clang-16', 'llvm-start', options.defaultSpool ?? DEFAULT_SPOOL),
  ];
  await run('clang-16', [...flags, '-fPIC', '-shared', join(dir, 'lib.c'), '-o', join(dir, `lib${name}.so`)]);
  await run('clang-16', [
    ...flags,
    join(dir, 'prog.c'),
    `-L${dir}`,
    `-l${name}`,
    `-Wl,-rpath,${dir}`,
    '-o',
    join(dir, name),
  ]);
  const binaries = [
    { output: 'out', path: `bin/${name}`, buildId: await buildIdOf(join(dir, name)) },
    { output: 'out', path: `lib/lib${name}.so`, buildId: await buildIdOf(join(dir, `lib${name}.so`)) },
  ];
  return writeManifest(dir, name, {
    toolchain: 'clang',
    compilerVersion: '16.0.6',
    mergeTool: LLVM_PROFDATA,
    gcdaDir: null,
    binaries,
  });
}

/** `bakedRoot` plays the Nix library's `defaultProfileDir`/gcda: any depth must work. */
export async function buildGccExample(
  root: string,
  name: string,
  bakedRoot = GCC_BAKED_ROOT,
  sources?: ExampleSources,
): Promise<Example> {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeSources(dir, name, sources);
  const gcdaDir = `${bakedRoot}/${randomBytes(6).toString('hex')}-${name}-1.0`;
  await run('gcc', [
    '-O2',
    `-fprofile-generate=${gcdaDir}`,
    '-fprofile-update=prefer-atomic',
    join(dir, 'prog.c'),
    join(dir, 'lib.c'),
    await startupObject('gcc', 'gcov-start', bakedRoot.replace(/\/gcda$/, '')),
    '-o',
    join(dir, name),
  ]);
  const binaries = [{ output: 'out', path: `bin/${name}`, buildId: await buildIdOf(join(dir, name)) }];
  return writeManifest(dir, name, {
    toolchain: 'gcc',
    compilerVersion: '12.2.0',
    mergeTool: GCOV_TOOL,
    gcdaDir,
    binaries,
  });
}

export const LLVM_BOLT = '/usr/lib/llvm-16/bin/llvm-bolt';
export const MERGE_FDATA = '/usr/lib/llvm-16/bin/merge-fdata';

/** What nix/bolt.nix bakes between the directory and the build ID (its boltPadding). */
export const BOLT_PADDING = '/'.repeat(96);

/**
 * The example program and library linked with relocations and nix-pgo's BOLT startup object, and
 * BOLT-instrumented the way nix/bolt.nix does it: each file writes
 * `<boltDir>/<uid>/<its input's build id>.<pid>.fdata` at exit (`<spool>/bolt/<uid>/...` with NIX_PGO_SPOOL).
 * The directory of `writerUid` (default: this process's user) is made here, as its program would make it.
 */
export async function buildBoltExample(
  root: string,
  name: string,
  boltDir: string,
  options: { dumpInterval?: number; prog?: string; writerUid?: number } = {},
): Promise<Example> {
  const writerUid = options.writerUid ?? process.getuid!();
  const dir = join(root, name);
  const input = join(dir, 'input');
  mkdirSync(input, { recursive: true });
  writeSources(dir, name, options.prog === undefined ? undefined : { prog: options.prog, lib: LIB_C });
  // With a dump interval a watcher process rewrites the profile every N seconds with every count so far, and once after the program ends.
  const periodic =
    options.dumpInterval === undefined
      ? []
      : [`-instrumentation-sleep-time=${options.dumpInterval}`, '-instrumentation-no-counters-clear'];
  const flags = ['-O2', '-Wl,--emit-relocs', '-Wl,--build-id', await startupObject('clang-16', 'bolt-start')];
  await run('clang-16', [...flags, '-fPIC', '-shared', join(dir, 'lib.c'), '-o', join(input, `lib${name}.so`)]);
  await run('clang-16', [
    ...flags,
    join(dir, 'prog.c'),
    `-L${input}`,
    `-l${name}`,
    `-Wl,-rpath,${dir}`,
    '-o',
    join(input, name),
  ]);
  const binaries = [];
  for (const [file, path] of [
    [name, `bin/${name}`],
    [`lib${name}.so`, `lib/lib${name}.so`],
  ] as const) {
    const id = await buildIdOf(join(input, file));
    await run(LLVM_BOLT, [
      join(input, file),
      '-o',
      join(dir, file),
      '-instrument',
      `-instrumentation-file=${boltDir}/${BOLT_PADDING}/${id}`,
      '-instrumentation-file-append-pid',
      ...periodic,
      '-bolt-info=0',
      '-no-huge-pages',
    ]);
    binaries.push({
      output: 'out',
      path,
      inputBuildId: id,
      outcome: 'instrumented',
      reason: null,
      fdataPrefix: `${boltDir}/${id}`,
    });
  }
  const manifest = {
    nixPgo: 1,
    kind: 'bolt-profile',
    name: `${name}-1.0`,
    pname: name,
    version: '1.0',
    outPath: dir,
    toolchain: 'clang',
    compilerVersion: '16',
    mergeTool: MERGE_FDATA,
    boltDir,
    spoolLayout: 2,
    fdataName: '<uid>/<inputBuildId>.<pid>.fdata',
    dumpInterval: options.dumpInterval ?? null,
    binaries,
  };
  const manifestPath = join(dir, 'pgo.json');
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  // As the daemon does before it activates a BOLT-instrumented variant: its programs write nothing without it.
  const problem = ensureBoltDir(boltDir, process.getuid!());
  if (problem) throw new Error(problem);
  ensureUserDir(boltDir, writerUid);
  return { name, manifestPath, exe: join(dir, name), toolchain: 'bolt' };
}

/** Every branch count of a BOLT profile tree, keyed by file and branch (mispredictions as their own key). */
export function boltCounts(dir: string): Map<string, bigint> {
  const counts = new Map<string, bigint>();
  for (const [file, profile] of readFdataTree(dir)) {
    for (const [key, c] of profile) {
      counts.set(`${file}\0${key}`, c.count);
      counts.set(`${file}\0${key}\0mispredicts`, c.mispredicts);
    }
  }
  return counts;
}

/** Where a GCC example's files land below a user's `gcda/` spool directory: its baked gcdaDir, relative. */
export function gcdaSpoolPathOf(example: Example): string {
  const manifest = JSON.parse(readFileSync(example.manifestPath, 'utf8')) as { gcdaDir: string };
  return manifest.gcdaDir.replace(/^\/+/, '');
}

/** The spool as the collector of this process sees it. */
export function scanTestSpool(spoolDir: string): SpoolScan {
  return scanSpool(spoolDir, { trustedOwners: new Set([process.getuid!(), 0]), selfUid: process.getuid!() });
}

/** The spool as the daemon makes it (its llvm/, gcda/, bolt/): without them programs write nothing. */
export function prepareSpool(spoolDir: string): string {
  mkdirSync(spoolDir, { recursive: true, mode: 0o755 });
  ensureFormatDirs(spoolDir);
  return spoolDir;
}

/** A format directory (1733) if it is missing, and in it a directory of `uid`'s named `name`, as its writer makes it. */
function makeUserDir(fmtDir: string, name: string, uid: number): string {
  if (!existsSync(fmtDir)) {
    mkdirSync(fmtDir, { recursive: true });
    chmodSync(fmtDir, 0o1733);
  }
  const dir = join(fmtDir, name);
  mkdirSync(dir, { mode: 0o700 });
  chownSync(dir, uid, uid);
  return dir;
}

/** `<fmtDir>/<uid>`, owned by `uid`, as a writer makes its directory (mode 0700; the fmt dir 1733 if new). */
export function ensureUserDir(fmtDir: string, uid: number): string {
  const dir = join(fmtDir, String(uid));
  return existsSync(dir) ? dir : makeUserDir(fmtDir, String(uid), uid);
}

/**
 * The directory user `uid`'s program writes to in `fmtDir`: `<uid>` when it is a real directory of theirs (made
 * here, mode 0700, when missing), else a fresh fallback `<uid>.XXXXXX` of theirs, as the writer chooses.
 */
export function claimUserDir(fmtDir: string, uid: number): string {
  const dir = join(fmtDir, String(uid));
  let st: Stats;
  try {
    st = lstatSync(dir);
  } catch {
    return makeUserDir(fmtDir, String(uid), uid);
  }
  if (st.isDirectory() && st.uid === uid) return dir;
  const fallback = mkdtempSync(`${dir}.`);
  chmodSync(fallback, 0o700);
  chownSync(fallback, uid, uid);
  return fallback;
}

/**
 * The environment of a program that writes to `spoolDir`, as NixOS and `nix-pgo env` give it, in a spool
 * the daemon has made. A program of every user gets the same; it makes its own directory there.
 */
export function writerEnvironment(spoolDir: string): NodeJS.ProcessEnv {
  prepareSpool(spoolDir);
  return { ...process.env, ...spoolEnvironment(spoolDir) };
}

/**
 * Runs an instrumented program as user `uid` (this process's by default) with the spool's variable; a BOLT
 * example without it, so that it writes below the directory its build baked in (as before BOLT programs read
 * the variable), which the tests of BOLT directories outside the spool need.
 */
export async function runExample(example: Example, spoolDir: string, uid = process.getuid!()): Promise<void> {
  const user = uid === process.getuid!() ? undefined : { uid, gid: uid };
  const env = writerEnvironment(spoolDir);
  if (example.toolchain === 'bolt') delete env.NIX_PGO_SPOOL;
  await run(example.exe, [], { env, ...(user ? { user } : {}) });
}

/** Every counter of a merged clang profile, keyed by function and index. */
export async function clangCounts(profile: string): Promise<Map<string, bigint>> {
  const counts = new Map<string, bigint>();
  for (const fn of await readFunctionCounts(LLVM_PROFDATA, profile))
    for (const [i, c] of fn.counters.entries()) counts.set(`${fn.name}#${fn.hash}#${i}`, c);
  return counts;
}

/** Every arc counter of a gcda tree plus the run count, keyed by file, function and index. */
export function gccCounts(dir: string): Map<string, bigint> {
  const counts = new Map<string, bigint>();
  for (const rel of listTreeFiles(dir)) {
    const parsed = parseGcda(readFileSync(join(dir, rel)));
    if (!parsed.ok) throw new Error(`${rel}: ${parsed.detail}`);
    counts.set(`${rel}#runs`, BigInt(parsed.file.runs));
    for (const fn of parsed.file.functions)
      for (const [i, c] of fn.arcs.entries()) counts.set(`${rel}#${fn.ident}#${i}`, c);
  }
  return counts;
}

export function scaled(counts: ReadonlyMap<string, bigint>, factor: number): Map<string, bigint> {
  return new Map([...counts].map(([k, v]) => [k, v * BigInt(factor)]));
}
