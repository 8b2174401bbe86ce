/**
 * Reads a config file from disk and checks the files it names; the parsing
 * itself is parse-config.ts.
 */
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config, ConfigProblem } from './config-types.js';
import { ConfigInvalidError } from './config-invalid-error.js';
import { resolveConfigLocation, type Env } from './default-paths.js';
import { checkConfigText, type FileReference } from './parse-config.js';

/** Who named the config file: the caller (a FILE argument or --config), `$NIX_PGO_CONFIG`, or nobody (the default location). */
export type ConfigSourceKind = 'argument' | 'NIX_PGO_CONFIG' | 'default';

export interface ConfigReport {
  /** Absolute path of the file read, or of the default location that was absent. */
  file: string;
  /** Who named it; only a `default` file may be absent. */
  source: ConfigSourceKind;
  /** False when the file was the default location and did not exist (defaults apply). */
  exists: boolean;
  config: Config | null;
  problems: ConfigProblem[];
  /** Files the config names that were not checked (outside the Nix store, with `storeFilesOnly`). */
  unchecked: FileReference[];
}

export interface ReadConfigOptions {
  /**
   * The file given by the user, which must exist; without it `$NIX_PGO_CONFIG`
   * (which must exist too), else the default location (which may be absent).
   */
  file?: string;
  env?: Env;
  /** For a relative `file`. */
  cwd?: string;
  /**
   * Check the existence of files the config names only inside the Nix store, as
   * a Nix build sandbox sees them; files elsewhere may not exist yet. Everything
   * else is checked as always.
   */
  storeFilesOnly?: boolean;
}

/** The Nix store directory: `$NIX_STORE_DIR` (Nix's setting), `$NIX_STORE` (set in builds), else /nix/store. */
export function nixStoreDir(env: Env): string {
  const dir = env.NIX_STORE_DIR || env.NIX_STORE || '/nix/store';
  return dir.replace(/\/+$/, '') || '/';
}

/** Whether `file` (absolute) is the store directory or below it (pure). */
export function isInStore(file: string, storeDir: string): boolean {
  return file === storeDir || file.startsWith(`${storeDir}/`);
}

async function checkFileReference(reference: FileReference): Promise<ConfigProblem | undefined> {
  try {
    const info = await stat(reference.file);
    if (reference.kind === 'nix') {
      if (info.isFile() || (info.isDirectory() && (await exists(path.join(reference.file, 'default.nix')))))
        return undefined;
      return {
        path: reference.path,
        message: `${reference.file} is neither a file nor a directory with a default.nix`,
        fix: 'point it at the .nix file that defines the package',
      };
    }
    if (!info.isFile())
      return {
        path: reference.path,
        message: `${reference.file} is not a file`,
        fix: 'point it at an executable file',
      };
    await access(reference.file, constants.X_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      return {
        path: reference.path,
        message: `${reference.file} does not exist`,
        fix: 'correct the path (relative paths are relative to the config file)',
      };
    if (code === 'EACCES' && reference.kind === 'executable')
      return {
        path: reference.path,
        message: `${reference.file} is not executable`,
        fix: `make it executable: chmod +x ${reference.file}`,
      };
    return {
      path: reference.path,
      message: `${reference.file} cannot be read (${code ?? String(error)})`,
      fix: 'check the permissions of the path',
    };
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

function missingFileProblem(source: ConfigSourceKind): ConfigProblem {
  return source === 'NIX_PGO_CONFIG'
    ? {
        path: '',
        message: 'does not exist (named by $NIX_PGO_CONFIG)',
        fix: 'set NIX_PGO_CONFIG to an existing config file, or unset it to use the default location',
      }
    : { path: '', message: 'does not exist', fix: 'give the path of an existing config file' };
}

/** Reads and checks the config; reports problems instead of throwing them. */
export async function inspectConfig(options: ReadConfigOptions = {}): Promise<ConfigReport> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const location =
    options.file !== undefined ? { file: options.file, source: 'argument' as const } : resolveConfigLocation(env);
  if (location === undefined) {
    // Neither a file nor HOME: there is nowhere to look, so only the defaults apply.
    const check = checkConfigText({ text: '', file: null, env });
    return {
      file: '(none)',
      source: 'default',
      exists: false,
      config: check.config,
      problems: check.problems,
      unchecked: [],
    };
  }
  const { source } = location;
  const file = path.resolve(cwd, location.file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && source === 'default') {
      const check = checkConfigText({ text: '', file: null, env });
      return { file, source, exists: false, config: check.config, problems: check.problems, unchecked: [] };
    }
    const problem: ConfigProblem =
      code === 'ENOENT'
        ? missingFileProblem(source)
        : code === 'EISDIR'
          ? { path: '', message: 'is a directory', fix: 'give the path of the config file itself' }
          : {
              path: '',
              message: `cannot be read (${code ?? String(error)})`,
              fix: 'check the permissions of the file',
            };
    return { file, source, exists: false, config: null, problems: [problem], unchecked: [] };
  }
  const check = checkConfigText({ text, file, env });
  const storeDir = nixStoreDir(env);
  const checked = options.storeFilesOnly
    ? check.fileReferences.filter((r) => isInStore(r.file, storeDir))
    : check.fileReferences;
  const unchecked = check.fileReferences.filter((r) => !checked.includes(r));
  const fileProblems = (await Promise.all(checked.map(checkFileReference))).filter(
    (p): p is ConfigProblem => p !== undefined,
  );
  const problems = [...check.problems, ...fileProblems];
  return { file, source, exists: true, config: problems.length === 0 ? check.config : null, problems, unchecked };
}

/** The normalized config, or a ConfigInvalidError that lists every problem. */
export async function readConfig(options: ReadConfigOptions = {}): Promise<Config> {
  const report = await inspectConfig(options);
  if (report.config === null) throw new ConfigInvalidError(report.file, report.problems);
  return report.config;
}
