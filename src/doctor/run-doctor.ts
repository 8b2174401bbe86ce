/**
 * `nix-pgo doctor`: checks what nix-pgo needs and says how to fix each problem.
 * Every check runs, so one report lists everything.
 */
import { accessSync, constants, existsSync, lstatSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findProfileCollisions } from '../activate/profile-collisions.js';
import type { Config } from '../config/config-types.js';
import { manifestPathOf } from '../formats/manifest.js';
import { run } from '../process/run.js';
import { evalJson } from '../tools/nix-instantiate.js';
import { NIX_INSTALL_HINT } from '../tools/nix-common.js';
import type { LifecycleRecord } from '../model/lifecycle-record.js';
import { BOLT_DIR_MODE, boltDirProblem } from '../spool/bolt-dir.js';
import { spoolEnvironment } from '../spool/spool-environment.js';
import { FORMAT_DIR_MODE, FORMAT_DIRS } from '../spool/format-dirs.js';
import { userSpoolDir } from '../spool/spool-layout.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** How to fix it; empty when ok. */
  fix: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: Check[];
}

async function probeVersion(command: string): Promise<Check> {
  try {
    const { stdout } = await run(command, ['--version']);
    return { name: command, ok: true, detail: stdout.trim().split('\n')[0] ?? '', fix: '' };
  } catch (error) {
    return { name: command, ok: false, detail: (error as Error).message.split('\n')[0] ?? '', fix: NIX_INSTALL_HINT };
  }
}

async function checkEvaluation(): Promise<Check> {
  try {
    const value = await evalJson('1 + 1');
    return { name: 'nix evaluation', ok: value === 2, detail: `1 + 1 = ${JSON.stringify(value)}`, fix: '' };
  } catch (error) {
    return {
      name: 'nix evaluation',
      ok: false,
      detail: (error as Error).message.split('\n')[0] ?? '',
      fix: 'check that the Nix daemon runs (systemctl status nix-daemon) or that you may use the store (NIX_REMOTE)',
    };
  }
}

/** The directory, or the nearest of its parents that exists (the one a first run creates it in). */
function nearestExisting(dir: string): string {
  let current = dir;
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}

/** Checks without creating anything: a directory made here by root would belong to root, not to the daemon's user. */
function checkWritableDir(name: string, dir: string): Check {
  const existing = nearestExisting(dir);
  try {
    accessSync(existing, constants.W_OK);
    return {
      name,
      ok: true,
      detail: existing === dir ? dir : `${dir} does not exist yet; the first run creates it in ${existing}`,
      fix: '',
    };
  } catch (error) {
    return {
      name,
      ok: false,
      detail: `${existing}: ${(error as Error).message}`,
      fix: `make ${existing} writable for ${process.env.USER ?? 'this user'}, or set another directory in the config`,
    };
  }
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/**
 * Instrumented programs write only into a format directory of the spool (llvm/, gcda/, bolt/) that is a real
 * directory, 1733 or the user's own, and below it into the user's own directory, which they create.
 */
function checkSpool(spoolDir: string, uid: number): Check[] {
  return FORMAT_DIRS.map((format): Check => {
    const name = `spool ${format}/`;
    const dir = join(spoolDir, format);
    const st = lstatOrNull(dir);
    if (st === null)
      return {
        name,
        ok: false,
        detail: `${dir} does not exist: instrumented programs write nothing`,
        fix: 'start the daemon once (it creates the spool), or on NixOS run: systemctl restart nix-pgo',
      };
    if (st.isSymbolicLink() || !st.isDirectory())
      return {
        name,
        ok: false,
        detail: `${dir} is ${st.isSymbolicLink() ? 'a symlink' : 'not a directory'}: instrumented programs write nothing`,
        fix: `remove ${dir}; the daemon creates it again`,
      };
    const mode = st.mode & 0o7777;
    if (st.uid !== uid && mode !== FORMAT_DIR_MODE)
      return {
        name,
        ok: false,
        detail: `${dir} has mode ${mode.toString(8)} and belongs to uid ${st.uid}: your programs cannot make their directory there`,
        fix: `chmod ${FORMAT_DIR_MODE.toString(8)} ${dir} (as its owner)`,
      };
    const own = userSpoolDir(spoolDir, format, uid);
    const mine = lstatOrNull(own);
    if (mine !== null && (mine.isSymbolicLink() || !mine.isDirectory() || mine.uid !== uid))
      return {
        name,
        ok: false,
        detail: `${own} is not your directory (another user made it first): your programs write into ${own}.XXXXXX instead`,
        fix: `remove ${own} (as root, or its owner)`,
      };
    return {
      name,
      ok: true,
      detail: `${dir} (mode ${mode.toString(8)})${mine ? `, ${own}` : `; your programs create ${own}`}`,
      fix: '',
    };
  });
}

function checkEnvironment(spoolDir: string, env: NodeJS.ProcessEnv): Check {
  const wanted = spoolEnvironment(spoolDir).NIX_PGO_SPOOL;
  const value = env.NIX_PGO_SPOOL;
  if (value === wanted) return { name: 'environment', ok: true, detail: `NIX_PGO_SPOOL=${value}`, fix: '' };
  return {
    name: 'environment',
    ok: false,
    detail: value
      ? `NIX_PGO_SPOOL=${value}, not ${wanted}`
      : 'NIX_PGO_SPOOL is not set: instrumented programs write to the spool their build baked in, which may not be this one',
    fix: 'add `eval "$(nix-pgo env)"` to your shell profile (NixOS and home-manager: the module sets it)',
  };
}

/** The merge tool recorded by each profiling build must still be there. */
function checkMergeTools(records: readonly LifecycleRecord[]): Check[] {
  return records
    .filter((s) => s.profilingPath)
    .map((s) => {
      const manifest = manifestPathOf(s.profilingPath!);
      try {
        const tool = (JSON.parse(readFileSync(manifest, 'utf8')) as { mergeTool?: string }).mergeTool ?? '';
        accessSync(tool, constants.X_OK);
        return { name: `merge tool of ${s.name}`, ok: true, detail: tool, fix: '' };
      } catch (error) {
        return {
          name: `merge tool of ${s.name}`,
          ok: false,
          detail: `${manifest}: ${(error as Error).message}`,
          fix: `rebuild the profiling variant: nix-pgo build ${s.name} (or nix-store --repair-path ${s.profilingPath})`,
        };
      }
    });
}

/**
 * A BOLT-instrumented variant that is active writes nothing where its baked directory is missing (builds
 * before spoolLayout 2 fail with exit status 1): the directory must be there, 1733, and the daemon's or root's.
 */
function checkBoltDirs(records: readonly LifecycleRecord[], uid: number): Check[] {
  return records
    .filter((r) => r.activeVariant === 'bolt-profile' && r.activePath)
    .map((r) => {
      const name = `BOLT directory of ${r.name}`;
      const manifest = manifestPathOf(r.activePath!);
      let dir: string;
      let perUser = false;
      try {
        const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { boltDir?: string; spoolLayout?: number };
        dir = parsed.boltDir ?? '';
        perUser = parsed.spoolLayout === 2;
      } catch (error) {
        return {
          name,
          ok: false,
          detail: `${manifest}: ${(error as Error).message}`,
          fix: `rebuild it: nix-pgo build ${r.name}`,
        };
      }
      const stat = (path: string) => {
        try {
          return lstatSync(path);
        } catch {
          return null;
        }
      };
      const owners = new Set([uid, 0]);
      const problem =
        boltDirProblem(dirname(dir), stat(dirname(dir)), owners, 'parent') ??
        boltDirProblem(dir, stat(dir), owners, 'directory');
      const mode =
        stat(dir) && (stat(dir)!.mode & 0o7777) !== BOLT_DIR_MODE
          ? `${dir} has mode ${(stat(dir)!.mode & 0o7777).toString(8)}, not ${BOLT_DIR_MODE.toString(8)}`
          : null;
      if (problem === null && mode === null)
        return { name, ok: true, detail: `${dir} (mode ${BOLT_DIR_MODE.toString(8)})`, fix: '' };
      return {
        name,
        ok: false,
        detail: `${problem ?? mode}: the BOLT-instrumented ${r.name} ${perUser ? 'writes no profile' : 'exits with status 1 when it cannot write its profile'}`,
        fix: `start the daemon (it creates the directory), or switch back: nix-pgo switch ${r.name} optimized`,
      };
    });
}

/** Two managed packages whose active variants ship the same program: the Nix profile runs only one of them. */
function checkCollisions(nixProfile: string, records: readonly LifecycleRecord[]): Check {
  const collisions = findProfileCollisions(nixProfile, records);
  if (collisions.length === 0)
    return { name: 'profile collisions', ok: true, detail: 'no two managed packages ship the same program', fix: '' };
  return {
    name: 'profile collisions',
    ok: false,
    detail: collisions
      .map(
        (c) =>
          `${c.file} is in ${c.packages.join(' and ')}; the Nix profile runs ${c.winner}'s (the name that sorts first wins), so the others' runs and profile data come only from calls by their store path`,
      )
      .join('; '),
    fix: `manage one package per program (remove the others from "packages"), or give the builds different program names`,
  };
}

export async function runDoctor(input: {
  config: Config;
  records: readonly LifecycleRecord[];
  env: NodeJS.ProcessEnv;
  uid: number;
}): Promise<DoctorReport> {
  const checks: Check[] = [
    ...(await Promise.all(['nix-build', 'nix-store', 'nix-env', 'nix-instantiate'].map(probeVersion))),
    await checkEvaluation(),
    checkWritableDir('state directory', input.config.stateDir),
    checkWritableDir('Nix profile directory', dirname(input.config.nixProfile)),
    ...checkSpool(input.config.spoolDir, input.uid),
    checkEnvironment(input.config.spoolDir, input.env),
    ...checkMergeTools(input.records),
    ...checkBoltDirs(input.records, input.uid),
    checkCollisions(input.config.nixProfile, input.records),
  ];
  return { ok: checks.every((c) => c.ok), checks };
}

export function renderDoctor(report: DoctorReport): string {
  const lines = report.checks.map(
    (c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}${c.ok ? '' : `\n     fix: ${c.fix}`}`,
  );
  lines.push(
    report.ok
      ? 'everything nix-pgo needs is in place'
      : `${report.checks.filter((c) => !c.ok).length} problem(s) found`,
  );
  return lines.join('\n');
}
