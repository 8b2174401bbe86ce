/**
 * Parses `$out/nix-support/pgo.json`, the manifest every profiling build writes,
 * into a normalized form. Pure: text in, value out; every problem of a file is
 * reported together in one InputError naming the file.
 */
import { InputError } from '../errors/errors.js';

export type Toolchain = 'clang' | 'gcc';

export interface ManifestBinary {
  output: string;
  path: string;
  /** Lower-case hex, as `readelf -n` and `llvm-profdata show --binary-ids` print it. */
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
  if (raw['nixPgo'] !== 1) problems.push(`"nixPgo" must be 1 (got ${JSON.stringify(raw['nixPgo'])})`);
  if (raw['kind'] !== 'profile') problems.push(`"kind" must be "profile" (got ${JSON.stringify(raw['kind'])})`);
  const toolchain = raw['toolchain'];
  if (toolchain !== 'clang' && toolchain !== 'gcc') problems.push(`"toolchain" must be "clang" or "gcc"`);
  const manifest = {
    name: text_('name'),
    pname: text_('pname'),
    version: text_('version'),
    outPath: text_('outPath'),
    toolchain: toolchain as Toolchain,
    compilerVersion: text_('compilerVersion'),
    mergeTool: text_('mergeTool'),
    defaultProfileDir: text_('defaultProfileDir'),
    gcdaDir: null as string | null,
    binaries: [] as ManifestBinary[],
  };
  const gcdaDir = raw['gcdaDir'];
  if (toolchain === 'gcc') {
    if (typeof gcdaDir !== 'string' || !gcdaDir.startsWith('/') || gcdaDir.endsWith('/')) {
      problems.push('"gcdaDir" must be an absolute directory path for a gcc build');
    } else manifest.gcdaDir = gcdaDir;
  } else if (gcdaDir !== null && gcdaDir !== undefined) {
    problems.push('"gcdaDir" must be null for a clang build');
  }
  const binaries = raw['binaries'];
  if (!Array.isArray(binaries)) problems.push('"binaries" must be a list');
  else {
    binaries.forEach((entry: unknown, i) => {
      if (!isObject(entry)) {
        problems.push(`binaries[${i}] must be an object`);
        return;
      }
      const { output, path, buildId } = entry;
      if (typeof output !== 'string' || output === '') problems.push(`binaries[${i}].output must be a non-empty string`);
      if (typeof path !== 'string' || path === '' || path.startsWith('/')) problems.push(`binaries[${i}].path must be a relative path`);
      if (typeof buildId !== 'string' || !/^[0-9a-fA-F]{2,128}$/.test(buildId) || buildId.length % 2 !== 0) {
        problems.push(`binaries[${i}].buildId must be a hex string`);
      } else if (typeof output === 'string' && typeof path === 'string') {
        manifest.binaries.push({ output, path, buildId: buildId.toLowerCase() });
      }
    });
    if (toolchain === 'clang' && binaries.length === 0) problems.push('"binaries" must list at least one binary for a clang build');
  }
  if (problems.length > 0) {
    throw new InputError('CONFIG_INVALID', `${file}: invalid profiling manifest`, { hints: problems });
  }
  return manifest;
}
