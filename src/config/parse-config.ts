/**
 * Config text → normalized Config (pure). Collects every problem instead of
 * stopping at the first, so one run of `check-config` shows all of them.
 *
 * What each key may hold is config-schema.ts (checked by schema-problems.ts);
 * this file adds what a schema cannot say: defaults, paths made absolute
 * relative to the config file, and the rules that span keys.
 */
import path from 'node:path';
import type {
  CollectorConfig,
  Config,
  ConfigProblem,
  FleetConfig,
  KeySource,
  NotifyConfig,
  PackageConfig,
  Policy,
  TrustedUsers,
} from './config-types.js';
import { ConfigInvalidError } from './config-invalid-error.js';
import {
  ConfigFileSchema,
  type ConfigFile,
  type FleetFile,
  type PackageFile,
  type PolicyFile,
} from './config-schema.js';
import { resolveDefaultStateDir, type Env } from './default-paths.js';
import {
  BYTES_PER_MB,
  COUNTS_PER_THRESHOLD_MB,
  DEFAULT_BOLT_PROFILE_ARG,
  DEFAULT_COLLECTOR,
  DEFAULT_FLEET,
  DEFAULT_POLICY,
  DEFAULT_PROFILE_ARG,
  DEFAULT_REFRESH_SHARE,
  DEFAULT_TRUSTED_USERS,
  DEFAULT_UPGRADES,
} from './defaults.js';
import { checkAgainstSchema, joinKeyPath } from './schema-problems.js';

export { CONFIG_VERSION } from './config-schema.js';
export { describeValue, joinKeyPath } from './schema-problems.js';

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

const LOOKUP_PATH = /^<[^<>\s]+>$/;

function has(object: unknown, key: string): boolean {
  return typeof object === 'object' && object !== null && !Array.isArray(object) && Object.hasOwn(object, key);
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

function parseJson(text: string): { document: unknown } | { problem: ConfigProblem } {
  if (text.trim() === '') return { document: {} };
  try {
    return { document: JSON.parse(text) as unknown };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      problem: {
        path: '',
        message: `is not valid JSON: ${message}${locateJsonError(text, message)}`,
        fix: 'correct the JSON syntax there (JSON allows no comments and no trailing commas)',
      },
    };
  }
}

/** Resolves paths and applies defaults on a document that fits the schema, adding the problems it finds. */
class Normalizer {
  readonly problems: ConfigProblem[] = [];
  readonly fileReferences: FileReference[] = [];

  constructor(
    private readonly baseDir: string | null,
    private readonly env: Env,
  ) {}

  add(path: string, message: string, fix: string): void {
    this.problems.push({ path, message, fix });
  }

  /** A path made absolute: `~/` is the home directory, relative is relative to the config file. */
  path(text: string, where: string): string | undefined {
    if (text === '~' || text.startsWith('~/')) {
      const home = this.env.HOME;
      if (!home || !path.isAbsolute(home)) {
        this.add(where, `${JSON.stringify(text)} starts with ~ but HOME is not set`, 'write the path in full');
        return undefined;
      }
      return path.join(home, text.slice(1));
    }
    if (path.isAbsolute(text)) return path.normalize(text);
    if (this.baseDir === null) {
      this.add(
        where,
        `${JSON.stringify(text)} is relative and there is no config file to be relative to`,
        'write the path in full',
      );
      return undefined;
    }
    return path.resolve(this.baseDir, text);
  }

  nixFile(text: string, where: string): string | undefined {
    if (LOOKUP_PATH.test(text)) return text;
    const file = this.path(text, where);
    if (file !== undefined) this.fileReferences.push({ path: where, file, kind: 'nix' });
    return file;
  }

  /** Defaults, then each layer field by field; reports an inconsistent retry range at `where`. */
  effectivePolicy(layers: readonly (PolicyFile | undefined)[], where: string | undefined): Policy {
    const policy: Policy = {
      ...DEFAULT_POLICY,
      retry: { ...DEFAULT_POLICY.retry },
      upgrades: { ...DEFAULT_UPGRADES, refreshCounts: 0 },
    };
    let refreshCounts: number | undefined;
    for (const layer of layers) {
      const { retry, thresholdMB, upgrades, ...fields } = layer ?? {};
      Object.assign(policy, fields);
      Object.assign(policy.retry, retry);
      // A layer's own threshold replaces an inherited one, in whichever key it is written; counts win over MB in one
      // layer (the NixOS module always writes thresholdMB, and its `settings` may add thresholdCounts).
      if (fields.thresholdCounts === undefined && thresholdMB !== undefined)
        policy.thresholdCounts = thresholdMB * COUNTS_PER_THRESHOLD_MB;
      const { refreshCounts: counts, ...upgradeFields } = upgrades ?? {};
      Object.assign(policy.upgrades, upgradeFields);
      if (counts !== undefined) refreshCounts = counts;
    }
    // Unless set, a tenth of what the package collects before its first optimized build.
    policy.upgrades.refreshCounts = refreshCounts ?? policy.thresholdCounts * DEFAULT_REFRESH_SHARE;
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

/** What a package inherits from the top level of the file. */
interface PackageDefaults {
  /** Undefined when absent or itself invalid. */
  nixFile: string | undefined;
  /** Whether the top level names a nixFile at all (a bad one is reported there, not per package). */
  hasNixFile: boolean;
  profileArg: string | undefined;
  policy: PolicyFile | undefined;
  trustedUsers: TrustedUsers;
}

function trustedUsersOf(written: ConfigFile['trustedUsers']): TrustedUsers | undefined {
  if (written === undefined) return undefined;
  return written === '*' ? { anyone: true } : { anyone: false, users: written };
}

function normalizePackage(
  normalizer: Normalizer,
  name: string,
  raw: PackageFile,
  written: unknown,
  defaults: PackageDefaults,
): PackageConfig | undefined {
  const where = joinKeyPath('packages', name);
  const at = (key: string) => joinKeyPath(where, key);
  const nixFile =
    raw.nixFile !== undefined
      ? normalizer.nixFile(raw.nixFile, at('nixFile'))
      : has(written, 'nixFile')
        ? undefined
        : defaults.nixFile;
  if (!has(written, 'nixFile') && !defaults.hasNixFile) {
    normalizer.add(
      at('nixFile'),
      'no Nix file is given for this package',
      `set "nixFile" here or at the top level to the .nix file that defines ${name}`,
    );
  }
  const attr = raw.attr ?? (has(written, 'attr') ? undefined : name);
  const profileArg = raw.profileArg ?? (has(written, 'profileArg') ? undefined : defaults.profileArg);
  const policy = normalizer.effectivePolicy(
    [defaults.policy, raw.policy],
    raw.policy?.retry ? `${at('policy')}.retry` : undefined,
  );
  const boltFile = raw.bolt === true ? {} : raw.bolt === false || raw.bolt === undefined ? null : raw.bolt;
  const bolt =
    boltFile === null
      ? null
      : {
          profileArg: boltFile.profileArg ?? DEFAULT_BOLT_PROFILE_ARG,
          policy: normalizer.effectivePolicy(
            [defaults.policy, raw.policy, boltFile.policy],
            boltFile.policy?.retry ? `${at('bolt')}.policy.retry` : undefined,
          ),
        };
  if (bolt !== null && bolt.profileArg === profileArg) {
    normalizer.add(
      `${at('bolt')}.profileArg`,
      `is the same as the PGO profile argument "${profileArg}"`,
      'give the BOLT profiles their own argument, e.g. "boltProfiles"',
    );
  }
  if (nixFile === undefined || attr === undefined || profileArg === undefined) return undefined;
  return {
    name,
    nixFile,
    attr,
    profileArg,
    policy,
    trustedUsers: trustedUsersOf(raw.trustedUsers) ?? defaults.trustedUsers,
    bolt,
  };
}

function normalize(
  normalizer: Normalizer,
  raw: ConfigFile,
  written: Record<string, unknown>,
  source: ConfigSource,
): Config | undefined {
  const resolve = (key: 'stateDir' | 'spoolDir' | 'nixProfile') => {
    const text = raw[key];
    return text === undefined ? undefined : normalizer.path(text, key);
  };
  const stateDir = has(written, 'stateDir') ? resolve('stateDir') : resolveDefaultStateDir(source.env);
  if (!has(written, 'stateDir') && stateDir === undefined) {
    normalizer.add(
      'stateDir',
      'has no default: neither XDG_STATE_HOME nor HOME is set to an absolute path',
      'set "stateDir", or run with HOME set',
    );
  }
  const spoolDir = has(written, 'spoolDir') ? resolve('spoolDir') : stateDir && path.join(stateDir, 'spool');
  const nixProfile = has(written, 'nixProfile') ? resolve('nixProfile') : stateDir && path.join(stateDir, 'profile');

  const defaultNixFile = raw.nixFile === undefined ? undefined : normalizer.nixFile(raw.nixFile, 'nixFile');
  const defaultProfileArg = raw.profileArg ?? (has(written, 'profileArg') ? undefined : DEFAULT_PROFILE_ARG);
  const policy = normalizer.effectivePolicy([raw.policy], 'policy.retry');

  const notify: NotifyConfig = { hook: null, desktop: raw.notify?.desktop ?? true };
  const hookText = raw.notify?.hook;
  if (typeof hookText === 'string') {
    const hook = normalizer.path(hookText, 'notify.hook');
    if (hook !== undefined) {
      normalizer.fileReferences.push({ path: 'notify.hook', file: hook, kind: 'executable' });
      notify.hook = hook;
    }
  }

  const limits = raw.collector ?? {};
  const megabytes = (mb: number | undefined, fallback: number) =>
    mb === undefined ? fallback : Math.floor(mb * BYTES_PER_MB);
  const collector: CollectorConfig = {
    spoolCapBytes: megabytes(limits.spoolCapMB, DEFAULT_COLLECTOR.spoolCapBytes),
    quarantineCapBytes: megabytes(limits.quarantineCapMB, DEFAULT_COLLECTOR.quarantineCapBytes),
    maxFileBytes: megabytes(limits.maxFileMB, DEFAULT_COLLECTOR.maxFileBytes),
    batchSize: limits.batchSize ?? DEFAULT_COLLECTOR.batchSize,
    mergeConcurrency: limits.mergeConcurrency ?? DEFAULT_COLLECTOR.mergeConcurrency,
    liveSnapshotMs:
      limits.liveSnapshotSeconds === undefined
        ? DEFAULT_COLLECTOR.liveSnapshotMs
        : Math.round(limits.liveSnapshotSeconds * 1000),
  };

  const writtenPackages = has(written, 'packages') ? (written.packages as Record<string, unknown>) : {};
  const packageDefaults: PackageDefaults = {
    nixFile: defaultNixFile,
    hasNixFile: has(written, 'nixFile'),
    profileArg: defaultProfileArg,
    policy: raw.policy,
    trustedUsers: trustedUsersOf(raw.trustedUsers) ?? DEFAULT_TRUSTED_USERS,
  };
  const packages = Object.entries(raw.packages ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => normalizePackage(normalizer, name, value, writtenPackages[name], packageDefaults))
    .filter((pkg): pkg is PackageConfig => pkg !== undefined);

  const fleet = raw.fleet === undefined ? null : normalizeFleet(normalizer, raw.fleet);
  for (const pkg of packages) {
    if (fleet && pkg.bolt !== null)
      normalizer.add(
        joinKeyPath(joinKeyPath('packages', pkg.name), 'bolt'),
        'BOLT is not shared by a fleet yet',
        'turn bolt off for this package, or leave out "fleet"',
      );
  }

  if (stateDir === undefined || spoolDir === undefined || nixProfile === undefined) return undefined;
  return { file: source.file, stateDir, spoolDir, nixProfile, policy, notify, collector, packages, fleet };
}

/** `name:base64` as Nix writes a public key; anything else is a path to a file that holds one. */
const INLINE_KEY = /^[^:/\s~.][^:/\s]*:[A-Za-z0-9+/]+={0,2}$/;

function normalizeFleet(normalizer: Normalizer, raw: FleetFile): FleetConfig | null {
  const key = (text: string, where: string): KeySource | undefined => {
    if (INLINE_KEY.test(text)) return { key: text };
    const file = normalizer.path(text, where);
    return file === undefined ? undefined : { file };
  };
  const secretKeyFile = normalizer.path(raw.secretKeyFile, 'fleet.secretKeyFile');
  const aggregatorKey = raw.aggregatorKey === undefined ? null : key(raw.aggregatorKey, 'fleet.aggregatorKey');
  const machineKeys = (raw.machineKeys ?? []).map((text, i) => key(text, `fleet.machineKeys[${i}]`));
  if (raw.role === 'member' && raw.aggregatorKey === undefined)
    normalizer.add(
      'fleet.aggregatorKey',
      "is required on a member: it is how the machine knows the fleet lock and the builds are the aggregator's",
      'give the aggregator\'s public key, e.g. "agg:oQO4wck…=", or the path of its .pub file',
    );
  if (raw.role === 'member' && raw.machineKeys !== undefined)
    normalizer.add('fleet.machineKeys', 'is for the aggregator only', 'remove it, or set "role": "aggregator"');
  if (secretKeyFile === undefined || aggregatorKey === undefined || machineKeys.some((k) => k === undefined))
    return null;
  return {
    role: raw.role,
    cache: raw.cache.replace(/\/+$/, ''),
    secretKeyFile,
    aggregatorKey,
    machineKeys: machineKeys as KeySource[],
    intervalMs: Math.round((raw.intervalSeconds ?? DEFAULT_FLEET.intervalSeconds) * 1000),
    profilingDuty: raw.profilingDuty ?? DEFAULT_FLEET.profilingDuty,
    fallback: raw.fallback ?? DEFAULT_FLEET.fallback,
  };
}

/** Checks a config text and returns the normalized config or every problem; never throws. */
export function checkConfigText(source: ConfigSource): ConfigCheck {
  const parsed = parseJson(source.text);
  if ('problem' in parsed) return { config: null, problems: [parsed.problem], fileReferences: [] };
  const schemaCheck = checkAgainstSchema(ConfigFileSchema, parsed.document);
  if (schemaCheck.valid === undefined) return { config: null, problems: schemaCheck.problems, fileReferences: [] };
  const normalizer = new Normalizer(source.file === null ? null : path.dirname(source.file), source.env);
  const config = normalize(normalizer, schemaCheck.valid, parsed.document as Record<string, unknown>, source);
  const problems = [...schemaCheck.problems, ...normalizer.problems];
  return {
    config: problems.length === 0 && config !== undefined ? config : null,
    problems,
    fileReferences: normalizer.fileReferences,
  };
}

/** The normalized config, or a ConfigInvalidError listing every problem. */
export function parseConfig(source: ConfigSource): Config {
  const check = checkConfigText(source);
  if (check.config === null) throw new ConfigInvalidError(source.file ?? '(config)', check.problems);
  return check.config;
}
