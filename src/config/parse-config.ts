/**
 * Config text → normalized Config (pure). Collects every problem instead of
 * stopping at the first, so one run of `check-config` shows all of them.
 */
import path from 'node:path';
import { suggestName } from '../suggest/suggest-name.js';
import type { Config, ConfigProblem, NotifyConfig, OnReady, PackageConfig, Policy, RetryPolicy } from './config-types.js';
import { ConfigInvalidError } from './config-invalid-error.js';
import { resolveDefaultStateDir, type Env } from './default-paths.js';
import { DEFAULT_POLICY, DEFAULT_PROFILE_ARG } from './defaults.js';

/** The keys each object of the file may have; the JSON schema must list the same (a test checks). */
export const CONFIG_KEYS = {
  root: ['$schema', 'version', 'stateDir', 'spoolDir', 'nixProfile', 'nixFile', 'profileArg', 'policy', 'notify', 'packages'],
  policy: ['thresholdMB', 'minRuns', 'convergence', 'onReady', 'buildTimeoutMinutes', 'retry'],
  retry: ['initialDelaySeconds', 'maxDelaySeconds'],
  notify: ['hook'],
  package: ['nixFile', 'attr', 'profileArg', 'policy'],
} as const;

export const CONFIG_VERSION = 1;

/** A path the config names that must exist on disk; checked by the reader, not here. */
export interface FileReference {
  /** Where in the config, e.g. `packages.hello.nixFile`. */
  path: string;
  /** The absolute path to look at. */
  file: string;
  /** `nix`: a file or a directory nix-build accepts; `executable`: a file we may run. */
  kind: 'nix' | 'executable';
}

export interface ConfigCheck {
  /** Null when there is any problem. */
  config: Config | null;
  problems: ConfigProblem[];
  fileReferences: FileReference[];
}

export interface ConfigSource {
  text: string;
  /** Absolute path of the file; relative paths inside are relative to its directory. */
  file: string | null;
  env: Env;
}

type PartialPolicy = Partial<Omit<Policy, 'retry'>> & { retry?: Partial<RetryPolicy> };
type JsonObject = Record<string, unknown>;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_'-]*$/;
const ATTR_PATH = /^[A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z_][A-Za-z0-9_'-]*)*$/;
const LOOKUP_PATH = /^<[^<>\s]+>$/;
const ON_READY: readonly OnReady[] = ['switch', 'notify'];

export function joinKeyPath(parent: string, key: string): string {
  const segment = /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key) ? key : JSON.stringify(key);
  if (parent === '') return segment;
  return segment.startsWith('"') ? `${parent}[${segment}]` : `${parent}.${segment}`;
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  const shown = JSON.stringify(value);
  const short = shown.length > 40 ? `${shown.slice(0, 37)}...` : shown;
  return `${short} (a ${typeof value})`;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Collects problems while walking the document. */
class Checker {
  readonly problems: ConfigProblem[] = [];
  readonly fileReferences: FileReference[] = [];

  constructor(
    private readonly baseDir: string | null,
    private readonly env: Env,
  ) {}

  add(path: string, message: string, fix: string): void {
    this.problems.push({ path, message, fix });
  }

  /** The value as an object, reporting keys not in `keys` (null: any key is fine). */
  object(value: unknown, where: string, keys: readonly string[] | null, example: string): JsonObject | undefined {
    if (!isObject(value)) {
      this.add(where, `must be an object, not ${describeValue(value)}`, `write it as ${example}`);
      return undefined;
    }
    if (keys === null) return value;
    for (const key of Object.keys(value)) {
      if (keys.includes(key)) continue;
      const guess = suggestName(key, keys);
      this.add(
        joinKeyPath(where, key),
        'unknown key',
        guess ? `did you mean "${guess}"? (keys here: ${keys.join(', ')})` : `remove it; the keys here are: ${keys.join(', ')}`,
      );
    }
    return value;
  }

  number(
    value: unknown,
    where: string,
    limits: { min?: number; above?: number; max?: number; integer?: boolean },
    fix: string,
  ): number | undefined {
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (!limits.integer || Number.isInteger(value)) &&
      (limits.min === undefined || value >= limits.min) &&
      (limits.above === undefined || value > limits.above) &&
      (limits.max === undefined || value <= limits.max);
    if (ok) return value;
    const bounds = [
      limits.min !== undefined ? `≥ ${limits.min}` : undefined,
      limits.above !== undefined ? `> ${limits.above}` : undefined,
      limits.max !== undefined ? `≤ ${limits.max}` : undefined,
    ].filter((bound): bound is string => bound !== undefined);
    const wants = `${limits.integer ? 'a whole number' : 'a number'} ${bounds.join(' and ')}`.trimEnd();
    this.add(where, `must be ${wants}, not ${describeValue(value)}`, fix);
    return undefined;
  }

  string(value: unknown, where: string, pattern: RegExp | undefined, fix: string): string | undefined {
    if (typeof value !== 'string' || value === '') {
      this.add(where, `must be a non-empty string, not ${describeValue(value)}`, fix);
      return undefined;
    }
    if (pattern && !pattern.test(value)) {
      this.add(where, `${JSON.stringify(value)} is not a valid name here`, fix);
      return undefined;
    }
    return value;
  }

  /** A path string made absolute: `~/` is the home directory, relative is relative to the config file. */
  path(value: unknown, where: string, fix: string): string | undefined {
    const text = this.string(value, where, undefined, fix);
    if (text === undefined) return undefined;
    if (text === '~' || text.startsWith('~/')) {
      const home = this.env['HOME'];
      if (!home || !path.isAbsolute(home)) {
        this.add(where, `${JSON.stringify(text)} starts with ~ but HOME is not set`, 'write the path in full');
        return undefined;
      }
      return path.join(home, text.slice(1));
    }
    if (path.isAbsolute(text)) return path.normalize(text);
    if (this.baseDir === null) {
      this.add(where, `${JSON.stringify(text)} is relative and there is no config file to be relative to`, 'write the path in full');
      return undefined;
    }
    return path.resolve(this.baseDir, text);
  }

  nixFile(value: unknown, where: string): string | undefined {
    if (typeof value === 'string' && LOOKUP_PATH.test(value)) return value;
    const file = this.path(value, where, 'give the .nix file that defines the package, e.g. "./packages.nix" (relative to the config file)');
    if (file !== undefined) this.fileReferences.push({ path: where, file, kind: 'nix' });
    return file;
  }

  policy(value: unknown, where: string): PartialPolicy {
    const raw = this.object(value, where, CONFIG_KEYS.policy, '{ "thresholdMB": 1 }');
    if (!raw) return {};
    const at = (key: string) => joinKeyPath(where, key);
    const result: PartialPolicy = {};
    if ('thresholdMB' in raw) {
      result.thresholdMB = this.number(raw['thresholdMB'], at('thresholdMB'), { above: 0 }, 'give the MB of profile data to collect before building, e.g. 1 or 0.5');
    }
    if ('minRuns' in raw) {
      result.minRuns = this.number(raw['minRuns'], at('minRuns'), { min: 0, integer: true }, 'give a whole number of runs, or 0 for no minimum');
    }
    if ('convergence' in raw) {
      const convergence = raw['convergence'];
      result.convergence =
        convergence === null
          ? null
          : this.number(convergence, at('convergence'), { above: 0, max: 1 }, 'give the overlap score to reach, e.g. 0.99, or null to not wait for convergence');
    }
    if ('onReady' in raw) {
      const onReady = raw['onReady'];
      if (typeof onReady === 'string' && (ON_READY as readonly string[]).includes(onReady)) result.onReady = onReady as OnReady;
      else this.add(at('onReady'), `must be "switch" or "notify", not ${describeValue(onReady)}`, '"switch" builds and switches by itself; "notify" only tells you');
    }
    if ('buildTimeoutMinutes' in raw) {
      result.buildTimeoutMinutes = this.number(raw['buildTimeoutMinutes'], at('buildTimeoutMinutes'), { above: 0 }, 'give the minutes a build may take, e.g. 60');
    }
    if ('retry' in raw) {
      const retry = this.object(raw['retry'], at('retry'), CONFIG_KEYS.retry, '{ "initialDelaySeconds": 60, "maxDelaySeconds": 3600 }');
      if (retry) {
        const retryAt = (key: string) => joinKeyPath(at('retry'), key);
        result.retry = {};
        if ('initialDelaySeconds' in retry) {
          result.retry.initialDelaySeconds = this.number(retry['initialDelaySeconds'], retryAt('initialDelaySeconds'), { above: 0 }, 'give the seconds to wait after the first failed build, e.g. 60');
        }
        if ('maxDelaySeconds' in retry) {
          result.retry.maxDelaySeconds = this.number(retry['maxDelaySeconds'], retryAt('maxDelaySeconds'), { above: 0 }, 'give the longest wait between retries in seconds, e.g. 3600');
        }
      }
    }
    return result;
  }

  /** Defaults, then the global policy, then the package's; reports an inconsistent retry range. */
  effectivePolicy(layers: readonly PartialPolicy[], where: string | undefined): Policy {
    const policy: Policy = { ...DEFAULT_POLICY, retry: { ...DEFAULT_POLICY.retry } };
    for (const layer of layers) {
      for (const [key, value] of Object.entries(layer)) {
        if (key !== 'retry' && value !== undefined) (policy as unknown as JsonObject)[key] = value;
      }
      for (const [key, value] of Object.entries(layer.retry ?? {})) {
        if (value !== undefined) (policy.retry as unknown as JsonObject)[key] = value;
      }
    }
    if (where !== undefined && policy.retry.maxDelaySeconds < policy.retry.initialDelaySeconds) {
      this.add(
        where,
        `maxDelaySeconds (${policy.retry.maxDelaySeconds}) is less than initialDelaySeconds (${policy.retry.initialDelaySeconds})`,
        'make maxDelaySeconds at least initialDelaySeconds',
      );
    }
    return policy;
  }
}

function parseJson(text: string, checker: Checker): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    checker.add('', `is not valid JSON: ${message}${locateJsonError(text, message)}`, 'correct the JSON syntax there (JSON allows no comments and no trailing commas)');
    return undefined;
  }
}

/** " (line L, column C)" for a JSON.parse message that only names a character position. */
export function locateJsonError(text: string, message: string): string {
  const match = /position (\d+)/.exec(message);
  if (!match || /line \d+/.test(message)) return '';
  const before = text.slice(0, Number(match[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return ` (line ${line}, column ${column})`;
}

/** What a package inherits from the top level of the file. */
interface PackageDefaults {
  /** Undefined when absent or itself invalid. */
  nixFile: string | undefined;
  /** Whether the top level names a nixFile at all (a bad one is reported there, not per package). */
  hasNixFile: boolean;
  profileArg: string | undefined;
  policy: PartialPolicy;
}

function checkNotify(checker: Checker, value: unknown): NotifyConfig {
  const raw = checker.object(value, 'notify', CONFIG_KEYS.notify, '{ "hook": "/path/to/hook" }');
  if (!raw || !('hook' in raw) || raw['hook'] === null) return { hook: null };
  const hook = checker.path(raw['hook'], 'notify.hook', 'give the path of an executable that reads each event as JSON on stdin, or null');
  if (hook === undefined) return { hook: null };
  checker.fileReferences.push({ path: 'notify.hook', file: hook, kind: 'executable' });
  return { hook };
}

function checkPackage(checker: Checker, name: string, value: unknown, defaults: PackageDefaults): PackageConfig | undefined {
  const where = joinKeyPath('packages', name);
  if (!IDENTIFIER.test(name)) {
    checker.add(where, `${JSON.stringify(name)} is not a valid package name`, 'use letters, digits, _ \' and -, starting with a letter or _ (it becomes a Nix attribute name)');
  }
  const raw = checker.object(value, where, CONFIG_KEYS.package, '{ "nixFile": "./packages.nix", "attr": "hello" }');
  if (!raw) return undefined;
  const at = (key: string) => joinKeyPath(where, key);
  const nixFile = 'nixFile' in raw ? checker.nixFile(raw['nixFile'], at('nixFile')) : defaults.nixFile;
  if (!('nixFile' in raw) && !defaults.hasNixFile) {
    checker.add(at('nixFile'), 'no Nix file is given for this package', `set "nixFile" here or at the top level to the .nix file that defines ${name}`);
  }
  const attr = 'attr' in raw ? checker.string(raw['attr'], at('attr'), ATTR_PATH, 'give an attribute path such as "hello" or "python3Packages.numpy"') : name;
  const profileArg = 'profileArg' in raw ? checker.string(raw['profileArg'], at('profileArg'), IDENTIFIER, `give the name of the argument the Nix file takes profiles through, e.g. "${DEFAULT_PROFILE_ARG}"`) : defaults.profileArg;
  const layer = 'policy' in raw ? checker.policy(raw['policy'], at('policy')) : {};
  const policy = checker.effectivePolicy([defaults.policy, layer], layer.retry ? `${at('policy')}.retry` : undefined);
  if (nixFile === undefined || attr === undefined || profileArg === undefined) return undefined;
  return { name, nixFile, attr, profileArg, policy };
}

/** Checks a config text and returns the normalized config or every problem; never throws. */
export function checkConfigText(source: ConfigSource): ConfigCheck {
  const checker = new Checker(source.file === null ? null : path.dirname(source.file), source.env);
  const document = parseJson(source.text, checker);
  if (document === undefined) return { config: null, problems: checker.problems, fileReferences: [] };
  const root = checker.object(document, '', CONFIG_KEYS.root, '{ "packages": { "hello": { "nixFile": "./packages.nix" } } }');
  if (!root) return { config: null, problems: checker.problems, fileReferences: [] };

  if ('$schema' in root && typeof root['$schema'] !== 'string') {
    checker.add('$schema', `must be a string, not ${describeValue(root['$schema'])}`, 'give the path or URL of config.schema.json, or remove it');
  }
  if ('version' in root && root['version'] !== CONFIG_VERSION) {
    checker.add('version', `must be ${CONFIG_VERSION}, not ${describeValue(root['version'])}`, `write "version": ${CONFIG_VERSION} or leave it out`);
  }

  const stateDir = 'stateDir' in root ? checker.path(root['stateDir'], 'stateDir', 'give the directory for nix-pgo state, e.g. "/var/lib/nix-pgo"') : resolveDefaultStateDir(source.env);
  if (!('stateDir' in root) && stateDir === undefined) {
    checker.add('stateDir', 'has no default: neither XDG_STATE_HOME nor HOME is set to an absolute path', 'set "stateDir", or run with HOME set');
  }
  const spoolDir = 'spoolDir' in root ? checker.path(root['spoolDir'], 'spoolDir', 'give the directory instrumented programs write profiles to') : stateDir && path.join(stateDir, 'spool');
  const nixProfile = 'nixProfile' in root ? checker.path(root['nixProfile'], 'nixProfile', 'give the path of the Nix profile that holds the active variants, e.g. "/nix/var/nix/profiles/nix-pgo"') : stateDir && path.join(stateDir, 'profile');

  const defaultNixFile = 'nixFile' in root ? checker.nixFile(root['nixFile'], 'nixFile') : undefined;
  const defaultProfileArg = 'profileArg' in root ? checker.string(root['profileArg'], 'profileArg', IDENTIFIER, `give the name of the argument the Nix file takes profiles through, e.g. "${DEFAULT_PROFILE_ARG}"`) : DEFAULT_PROFILE_ARG;

  const globalLayer = 'policy' in root ? checker.policy(root['policy'], 'policy') : {};
  const policy = checker.effectivePolicy([globalLayer], 'policy.retry');

  const notify = 'notify' in root ? checkNotify(checker, root['notify']) : { hook: null };

  const packageDefaults: PackageDefaults = { nixFile: defaultNixFile, hasNixFile: 'nixFile' in root, profileArg: defaultProfileArg, policy: globalLayer };
  const rawPackages = 'packages' in root ? checker.object(root['packages'], 'packages', null, '{ "hello": { "attr": "hello" } }') : {};
  const packages = Object.entries(rawPackages ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => checkPackage(checker, name, value, packageDefaults))
    .filter((pkg): pkg is PackageConfig => pkg !== undefined);

  if (checker.problems.length > 0 || stateDir === undefined || spoolDir === undefined || nixProfile === undefined) {
    return { config: null, problems: checker.problems, fileReferences: checker.fileReferences };
  }
  return {
    config: { file: source.file, stateDir, spoolDir, nixProfile, policy, notify, packages },
    problems: [],
    fileReferences: checker.fileReferences,
  };
}

/** The normalized config, or a ConfigInvalidError listing every problem. */
export function parseConfig(source: ConfigSource): Config {
  const check = checkConfigText(source);
  if (check.config === null) throw new ConfigInvalidError(source.file ?? '(config)', check.problems);
  return check.config;
}
