/**
 * The config file's one definition: its keys, types, bounds, defaults and
 * descriptions, and for each field the `fix` a user reads when it is wrong.
 * From it come the TypeScript type of the file (`ConfigFile`), the checks
 * (schema-problems.ts) and schema/config.schema.json (`npm run schema`).
 *
 * Custom keywords, read by schema-problems.ts and left out of the JSON file:
 * `fix` on every field (how to correct a bad value; on an object, how to write
 * it), and on a map keyed by names `keyTitle` and `keyFix` (what a key is, and
 * how to write a valid one).
 */
import { Type, type Static } from '@sinclair/typebox';
import {
  BYTES_PER_MB,
  COUNTS_PER_THRESHOLD_MB,
  DEFAULT_BOLT_PROFILE_ARG,
  DEFAULT_COLLECTOR,
  DEFAULT_FLEET,
  DEFAULT_POLICY,
  DEFAULT_PROFILE_ARG,
  DEFAULT_REFRESH_SHARE,
  DEFAULT_UPGRADES,
} from './defaults.js';

export const CONFIG_VERSION = 1;

/** A Nix attribute name: package names and profile argument names. */
export const IDENTIFIER_PATTERN = "^[A-Za-z_][A-Za-z0-9_'-]*$";
/** A dotted attribute path such as `python3Packages.numpy`. */
export const ATTR_PATH_PATTERN = "^[A-Za-z_][A-Za-z0-9_'-]*(\\.[A-Za-z_][A-Za-z0-9_'-]*)*$";

const PROFILE_ARG_FIX = `give the name of the argument the Nix file takes profiles through, e.g. "${DEFAULT_PROFILE_ARG}"`;
const NIX_FILE_FIX = 'give the .nix file that defines the package, e.g. "./packages.nix" (relative to the config file)';
const PATH_NOTE = 'absolute, ~/..., or relative to this file';

function pathField(description: string, fix: string) {
  return Type.String({ minLength: 1, description, fix });
}

/** The policy object; the top level and each package have one (with different descriptions). */
function policySchema(description: string) {
  return Type.Object(
    {
      thresholdCounts: Type.Optional(
        Type.Number({
          exclusiveMinimum: 0,
          default: DEFAULT_POLICY.thresholdCounts,
          description:
            "Counts to merge before building: the sum of every counter the merges added, from exited programs' profiles and from the growth of running programs' live profiles alike.",
          fix: 'give the number of counts to merge before building, e.g. 1e9',
        }),
      ),
      thresholdMB: Type.Optional(
        Type.Number({
          exclusiveMinimum: 0,
          description: `The threshold as configs before thresholdCounts gave it: N is read as N × ${COUNTS_PER_THRESHOLD_MB.toLocaleString('en-US')} counts. A thresholdCounts in the same policy wins.`,
          fix: 'give a number > 0, e.g. 1 (read as 1e9 counts), or use thresholdCounts',
        }),
      ),
      minRuns: Type.Optional(
        Type.Integer({
          minimum: 0,
          default: DEFAULT_POLICY.minRuns,
          description: 'Instrumented runs to see before building; 0 for no minimum.',
          fix: 'give a whole number of runs, or 0 for no minimum',
        }),
      ),
      convergence: Type.Optional(
        Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 1 }), Type.Null()], {
          default: DEFAULT_POLICY.convergence,
          description: 'Overlap score (0..1) that successive merged profiles must reach; null to not wait for it.',
          fix: 'give the overlap score to reach, e.g. 0.99, or null to not wait for convergence',
        }),
      ),
      onReady: Type.Optional(
        Type.Union([Type.Literal('switch'), Type.Literal('notify')], {
          default: DEFAULT_POLICY.onReady,
          description:
            'switch: build the optimized variant and switch to it by itself; notify: only tell the user, who runs nix-pgo build.',
          fix: '"switch" builds and switches by itself; "notify" only tells you',
        }),
      ),
      buildTimeoutMinutes: Type.Optional(
        Type.Number({
          exclusiveMinimum: 0,
          default: DEFAULT_POLICY.buildTimeoutMinutes,
          description: 'A build running longer is stopped and counts as failed.',
          fix: 'give the minutes a build may take, e.g. 60',
        }),
      ),
      maxContributorShare: Type.Optional(
        Type.Number({
          exclusiveMinimum: 0,
          maximum: 1,
          default: DEFAULT_POLICY.maxContributorShare,
          description:
            'When several users (later: machines) contributed, the largest share of the merged profile one of them may have; a larger one is scaled down. 1 turns the bound off.',
          fix: 'give a share between 0 and 1, e.g. 0.5 (no contributor outweighs all the others together)',
        }),
      ),
      retry: Type.Optional(
        Type.Object(
          {
            initialDelaySeconds: Type.Optional(
              Type.Number({
                exclusiveMinimum: 0,
                default: DEFAULT_POLICY.retry.initialDelaySeconds,
                description: 'Wait after the first failed build.',
                fix: 'give the seconds to wait after the first failed build, e.g. 60',
              }),
            ),
            maxDelaySeconds: Type.Optional(
              Type.Number({
                exclusiveMinimum: 0,
                default: DEFAULT_POLICY.retry.maxDelaySeconds,
                description: 'The wait doubles per failure up to this; at least initialDelaySeconds.',
                fix: 'give the longest wait between retries in seconds, e.g. 3600',
              }),
            ),
          },
          {
            additionalProperties: false,
            description:
              'Backoff after failed builds: the wait doubles per failure from initialDelaySeconds up to maxDelaySeconds.',
            fix: 'write it as { "initialDelaySeconds": 60, "maxDelaySeconds": 3600 }',
          },
        ),
      ),
      upgrades: Type.Optional(
        Type.Object(
          {
            checkMinutes: Type.Optional(
              Type.Number({
                exclusiveMinimum: 0,
                default: DEFAULT_UPGRADES.checkMinutes,
                description:
                  "How often the daemon compares each package's derivation with what the Nix file gives now (also at start, on reload and on nix-pgo check); it evaluates, it builds nothing to find out.",
                fix: 'give the minutes between checks, e.g. 60',
              }),
            ),
            refreshBelow: Type.Optional(
              Type.Number({
                minimum: 0,
                maximum: 1,
                default: DEFAULT_UPGRADES.refreshBelow,
                description:
                  'After an upgrade, a profile whose counts apply to less than this share of the new derivation is refreshed in a bounded window; 0 never refreshes.',
                fix: 'give a share between 0 and 1, e.g. 0.9, or 0 to never refresh',
              }),
            ),
            refreshCounts: Type.Optional(
              Type.Number({
                exclusiveMinimum: 0,
                description: `A refresh window ends once the merges of fresh data added this many counts. Default: ${DEFAULT_REFRESH_SHARE} of thresholdCounts.`,
                fix: 'give the counts of fresh data a refresh collects, e.g. 1e8',
              }),
            ),
            refreshRuns: Type.Optional(
              Type.Integer({
                minimum: 0,
                default: DEFAULT_UPGRADES.refreshRuns,
                description: 'A refresh window also ends after this many instrumented runs; 0 for no bound in runs.',
                fix: 'give a whole number of runs, or 0',
              }),
            ),
            refreshHours: Type.Optional(
              Type.Number({
                exclusiveMinimum: 0,
                default: DEFAULT_UPGRADES.refreshHours,
                description:
                  'A refresh window ends at the latest after this many hours, with whatever data it has (none: back to the optimized build it started from).',
                fix: 'give the hours a refresh window may last, e.g. 24',
              }),
            ),
          },
          {
            additionalProperties: false,
            description:
              'Keeping a profile through upgrades: how often to look for a changed derivation, and when and how long to refresh a profile that matches the new one too little.',
            fix: 'write it as { "checkMinutes": 60, "refreshBelow": 0.9 }',
          },
        ),
      ),
    },
    {
      additionalProperties: false,
      description,
      fix: 'write it as { "thresholdCounts": 1e9 }',
    },
  );
}

/** User names or ids whose profile data counts, or "*" for anyone who can write to the spool. */
function trustedUsersSchema(description: string) {
  return Type.Union(
    [
      Type.Literal('*'),
      Type.Array(
        Type.Union([
          Type.String({ minLength: 1, pattern: '^[a-z_][a-z0-9_.-]*[$]?$' }),
          Type.Integer({ minimum: 0, maximum: 4294967294 }),
        ]),
        { uniqueItems: true },
      ),
    ],
    {
      description: `${description} The user the daemon runs as always counts. Data from others is quarantined (untrusted-contributor).`,
      fix: 'give a list of user names or ids, e.g. ["alice", 1001], or "*" to count everyone who can write to the spool',
    },
  );
}

export const PackageSchema = Type.Object(
  {
    nixFile: Type.Optional(
      pathField(
        `The .nix file (or directory with a default.nix) that defines the package (${PATH_NOTE}, or a <lookup> path). Default: the top-level nixFile.`,
        NIX_FILE_FIX,
      ),
    ),
    attr: Type.Optional(
      Type.String({
        pattern: ATTR_PATH_PATTERN,
        description:
          "Attribute path of the package in nixFile; its variants are ATTR.pgo.profile and ATTR.pgo.optimized. Default: the package's name.",
        fix: 'give an attribute path such as "hello" or "python3Packages.numpy"',
      }),
    ),
    profileArg: Type.Optional(
      Type.String({
        pattern: IDENTIFIER_PATTERN,
        description:
          'Name of the argument through which nixFile takes the selected profiles. Default: the top-level profileArg.',
        fix: PROFILE_ARG_FIX,
      }),
    ),
    policy: Type.Optional(policySchema('Overrides of single fields of the top-level policy for this package.')),
    trustedUsers: Type.Optional(
      trustedUsersSchema('Whose profile data counts for this package, replacing the top-level trustedUsers.'),
    ),
    bolt: Type.Optional(
      Type.Union(
        [
          Type.Boolean(),
          Type.Object(
            {
              profileArg: Type.Optional(
                Type.String({
                  pattern: IDENTIFIER_PATTERN,
                  default: DEFAULT_BOLT_PROFILE_ARG,
                  description: 'Name of the argument through which nixFile takes the selected BOLT profiles.',
                  fix: `give the name of the argument the Nix file takes BOLT profiles through, e.g. "${DEFAULT_BOLT_PROFILE_ARG}"`,
                }),
              ),
              policy: Type.Optional(
                policySchema("Overrides of single fields of this package's policy for its BOLT data."),
              ),
            },
            { additionalProperties: false },
          ),
        ],
        {
          default: false,
          description:
            'After the PGO-optimized variant: BOLT-instrument it (ATTR.pgo.boltProfile), collect BOLT profiles, then switch to ATTR.pgo.boltOptimized. true, or an object with the BOLT profile argument and policy overrides. The package must be built with enableWith { bolt = true; ... }.',
          fix: 'write true, or { "policy": { "minRuns": 5 } }',
        },
      ),
    ),
  },
  {
    additionalProperties: false,
    description: 'One managed package.',
    fix: 'write it as { "nixFile": "./packages.nix", "attr": "hello" }',
  },
);

/** A public key: `name:base64` as Nix writes it, or the path of a file that holds one. */
function publicKeySchema(description: string) {
  return Type.String({
    minLength: 1,
    description: `${description} Either the key itself (name:base64, as in the .pub file nix-store --generate-binary-cache-key writes) or the path of that file (${PATH_NOTE}).`,
    fix: 'give the content of the .pub file, e.g. "m1:oQO4wck…=", or its path',
  });
}

export const FleetSchema = Type.Object(
  {
    role: Type.Union([Type.Literal('member'), Type.Literal('aggregator')], {
      description:
        "member: publish this machine's profiles to the cache and follow the fleet lock; aggregator: also merge every machine's profiles, build the optimized variants once, push them and publish the fleet lock.",
      fix: '"member" on every machine, "aggregator" on the one that builds',
    }),
    cache: Type.String({
      pattern: '^(file|https?)://[^?#]+$',
      description:
        'The binary cache the fleet shares: file:///DIR (shared storage) or http(s)://HOST/PATH (a server that answers GET and accepts PUT). nix-pgo writes its pointers under nix-pgo/ there.',
      fix: 'give the cache as file:///srv/nix-cache or http://cache.example:8080',
    }),
    secretKeyFile: pathField(
      `This machine's signing key (nix-store --generate-binary-cache-key NAME SECRET PUBLIC); its NAME is the machine's name in the fleet; ${PATH_NOTE}.`,
      'give the path of the secret key file, e.g. "/etc/nix-pgo/fleet.sec"',
    ),
    aggregatorKey: Type.Optional(
      publicKeySchema(
        "The aggregator's public key: a fleet lock counts only when it carries its signature, and so do the optimized builds substituted from the cache. Required on members.",
      ),
    ),
    machineKeys: Type.Optional(
      Type.Array(publicKeySchema("A machine's public key; its name is the machine's name."), {
        uniqueItems: true,
        default: [],
        description:
          "Aggregator only: the machines whose profiles count, each by its public key (the aggregator's own counts too). A record counts only when the key named after its machine signed it.",
        fix: 'give a list of public keys or key files, e.g. ["/etc/nix-pgo/machines/m1.pub"]',
      }),
    ),
    intervalSeconds: Type.Optional(
      Type.Number({
        minimum: 1,
        default: DEFAULT_FLEET.intervalSeconds,
        description:
          "How often the daemon publishes new data, follows the fleet lock and (aggregator) merges the fleet's profiles; nix-pgo fleet does it at once.",
        fix: 'give the seconds between two rounds, e.g. 300',
      }),
    ),
    profilingDuty: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        default: DEFAULT_FLEET.profilingDuty,
        description:
          "Aggregator only: the share of the machines that keep running the profiling variant after the fleet switched, so the fleet's profile follows the workload (at least one while it is above 0); chosen anew for each fleet lock.",
        fix: 'give a share between 0 and 1, e.g. 0.1, or 0 for none',
      }),
    ),
    fallback: Type.Optional(
      Type.Union([Type.Literal('build'), Type.Literal('wait')], {
        default: DEFAULT_FLEET.fallback,
        description:
          "What a machine does when the fleet's optimized build of a package is not in the cache for its own derivation (its package set differs): build: build it here with the fleet's profile; wait: keep what is active and say so.",
        fix: '"build" builds it here with the fleet\'s profile; "wait" keeps what is active',
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'This machine in a fleet that shares profiles and optimized builds through a binary cache (docs/fleet.md).',
    fix: 'write it as { "role": "member", "cache": "http://cache:8080", "secretKeyFile": "/etc/nix-pgo/fleet.sec", "aggregatorKey": "agg:…=" }',
  },
);

export const ConfigFileSchema = Type.Object(
  {
    $schema: Type.Optional(
      Type.String({
        description: 'Path or URL of this schema, for editors; ignored.',
        fix: 'give the path or URL of config.schema.json, or remove it',
      }),
    ),
    version: Type.Optional(
      Type.Literal(CONFIG_VERSION, {
        description: 'Format version of this file; only 1 exists.',
        fix: `write "version": ${CONFIG_VERSION} or leave it out`,
      }),
    ),
    stateDir: Type.Optional(
      pathField(
        `Directory for nix-pgo's state (SQLite database, merged profiles, logs, GC roots); ${PATH_NOTE}. Default: $XDG_STATE_HOME/nix-pgo, else ~/.local/state/nix-pgo.`,
        'give the directory for nix-pgo state, e.g. "/var/lib/nix-pgo"',
      ),
    ),
    spoolDir: Type.Optional(
      pathField(
        `Directory instrumented programs write raw profiles to; ${PATH_NOTE}. Default: <stateDir>/spool.`,
        'give the directory instrumented programs write profiles to',
      ),
    ),
    nixProfile: Type.Optional(
      pathField(
        `The Nix profile that holds the active variant of every managed package; ${PATH_NOTE}. Default: <stateDir>/profile.`,
        'give the path of the Nix profile that holds the active variants, e.g. "/nix/var/nix/profiles/nix-pgo"',
      ),
    ),
    nixFile: Type.Optional(
      pathField(`Default .nix file for packages that name none (${PATH_NOTE}, or a <lookup> path).`, NIX_FILE_FIX),
    ),
    profileArg: Type.Optional(
      Type.String({
        pattern: IDENTIFIER_PATTERN,
        default: DEFAULT_PROFILE_ARG,
        description: 'Default name of the argument through which the Nix file takes the selected profiles.',
        fix: PROFILE_ARG_FIX,
      }),
    ),
    policy: Type.Optional(policySchema('Readiness and build policy for every package; every field has a default.')),
    trustedUsers: Type.Optional(
      trustedUsersSchema('Whose profile data counts (default: only the user the daemon runs as).'),
    ),
    notify: Type.Optional(
      Type.Object(
        {
          hook: Type.Optional(
            Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
              default: null,
              description: `Executable that receives each event (switched, build failed, ...) as JSON on stdin; ${PATH_NOTE}.`,
              fix: 'give the path of an executable that reads each event as JSON on stdin, or null',
            }),
          ),
          desktop: Type.Optional(
            Type.Boolean({
              default: true,
              description:
                'Show a package ready to build, a switch to an optimized variant and a failed build as desktop notifications (notify-send), where the daemon has a desktop session bus (DBUS_SESSION_BUS_ADDRESS) and notify-send is on PATH.',
              fix: 'write true (desktop notifications where a session bus exists) or false',
            }),
          ),
        },
        {
          additionalProperties: false,
          description: 'How nix-pgo tells about events.',
          fix: 'write it as { "hook": "/path/to/hook", "desktop": true }',
        },
      ),
    ),
    collector: Type.Optional(
      Type.Object(
        {
          spoolCapMB: Type.Optional(
            Type.Number({
              exclusiveMinimum: 0,
              default: DEFAULT_COLLECTOR.spoolCapBytes / BYTES_PER_MB,
              description:
                'Size of the spool, in MB of 1,048,576 bytes, at which it counts as full: status says so and the hook hears a disk-cap event.',
              fix: 'give the MB the spool may hold, e.g. 2048',
            }),
          ),
          quarantineCapMB: Type.Optional(
            Type.Number({
              exclusiveMinimum: 0,
              default: DEFAULT_COLLECTOR.quarantineCapBytes / BYTES_PER_MB,
              description:
                'Size of the quarantine, in MB, at which it keeps no more copies of bad files (their reasons are still recorded).',
              fix: 'give the MB the quarantine may keep, e.g. 256',
            }),
          ),
          maxFileMB: Type.Optional(
            Type.Number({
              exclusiveMinimum: 0,
              default: DEFAULT_COLLECTOR.maxFileBytes / BYTES_PER_MB,
              description: 'A single spool file larger than this, in MB, is quarantined unread (too-large).',
              fix: 'give the MB of the largest profile file to read, e.g. 256',
            }),
          ),
          batchSize: Type.Optional(
            Type.Integer({
              minimum: 1,
              default: DEFAULT_COLLECTOR.batchSize,
              description: 'Spool files locked and copied together; bounds the open file descriptors of a harvest.',
              fix: 'give a whole number of files, at least 1, e.g. 256',
            }),
          ),
          mergeConcurrency: Type.Optional(
            Type.Integer({
              minimum: 1,
              default: DEFAULT_COLLECTOR.mergeConcurrency,
              description: 'Packages merged at the same time.',
              fix: 'give a whole number of merges, at least 1, e.g. 2',
            }),
          ),
          liveSnapshotSeconds: Type.Optional(
            Type.Number({
              minimum: 1,
              default: DEFAULT_COLLECTOR.liveSnapshotMs / 1000,
              description:
                'How often, in seconds, the live profiles of running programs (continuous collection) are read and what they counted since is merged; a program that dies is merged for the last time and its file removed within two of these.',
              fix: 'give the seconds between two readings of running programs, at least 1, e.g. 30',
            }),
          ),
        },
        {
          additionalProperties: false,
          description:
            "The collector's limits: disk caps of the spool and the quarantine, the largest spool file, how many files one harvest takes at once, how many packages merge at once, and how often running programs' live profiles are read. A running daemon uses new values after a restart.",
          fix: 'write it as { "spoolCapMB": 2048, "quarantineCapMB": 256 }',
        },
      ),
    ),
    fleet: Type.Optional(FleetSchema),
    packages: Type.Optional(
      Type.Record(Type.String({ pattern: IDENTIFIER_PATTERN }), PackageSchema, {
        additionalProperties: false,
        default: {},
        description: 'Managed packages by name; a name becomes a Nix attribute name.',
        fix: 'write it as { "hello": { "attr": "hello" } }',
        keyTitle: 'package name',
        keyFix: "use letters, digits, _ ' and -, starting with a letter or _ (it becomes a Nix attribute name)",
      }),
    ),
  },
  {
    additionalProperties: false,
    title: 'nix-pgo configuration',
    description:
      'The packages nix-pgo manages and the policy that decides when each is rebuilt with its profile. See docs/config.md.',
    fix: 'write it as { "packages": { "hello": { "nixFile": "./packages.nix" } } }',
  },
);

/** The config file as written (before defaults and path resolution). */
export type ConfigFile = Static<typeof ConfigFileSchema>;
export type PolicyFile = Static<ReturnType<typeof policySchema>>;
export type PackageFile = Static<typeof PackageSchema>;
export type FleetFile = Static<typeof FleetSchema>;

/** The custom keywords above; not part of JSON Schema. */
export const CUSTOM_KEYWORDS = ['fix', 'keyTitle', 'keyFix'] as const;
