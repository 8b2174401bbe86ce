/**
 * The lock file, `pgo-lock.json`: per package, the merged profile in the Nix
 * store and its hash, so that a pure evaluation can name the same profile
 * again (nix/lock.nix turns each entry into a fixed-output derivation). From
 * this one definition come the types of lock-file.ts, its checks and
 * schema/lock.schema.json (`npm run schema`).
 *
 * Custom keyword, left out of the JSON file: `expected`, a valid value in
 * words, for messages (formats/format-problems.ts).
 */
import { type Static, Type } from '@sinclair/typebox';

/** Where the generated file lives, from the repository root. */
export const LOCK_SCHEMA_PATH = 'schema/lock.schema.json';

export const LockedProfileSchema = Type.Object(
  {
    storePath: Type.String({
      pattern: '^/',
      description: 'Content-addressed store path of the profile.',
      expected: 'a store path',
    }),
    hashMode: Type.Union([Type.Literal('flat'), Type.Literal('recursive')], {
      description: '`flat` for a .profdata file, `recursive` for a gcda or BOLT directory.',
      expected: 'flat or recursive',
    }),
    hash: Type.String({
      pattern: '^sha256:',
      description: '`sha256:<hex>` for flat files, `sha256:<base32>` (NAR hash) for directories.',
      expected: 'a hash that starts with sha256:',
    }),
    generation: Type.Integer({
      minimum: 0,
      description: 'The merge generation this profile came from.',
      expected: 'a whole number',
    }),
    lockedAt: Type.String({ description: 'When it was locked (ISO 8601).', expected: 'a string' }),
    system: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9_]+-[A-Za-z0-9_]+$',
        description:
          "The Nix system of the profile's fixed-output derivation (x86_64-linux), so that a pure evaluation makes the same derivation as the daemon. Lock files written before it existed lack it: evaluations then use their own system.",
        expected: 'a Nix system such as x86_64-linux',
      }),
    ),
    source: Type.Optional(
      Type.Object(
        {
          name: Type.String({ expected: 'a string' }),
          version: Type.Union([Type.String(), Type.Null()], { expected: 'a string or null' }),
          drvPath: Type.String({ pattern: '^/', expected: 'a store path' }),
        },
        {
          additionalProperties: false,
          description:
            'The instrumented build whose runs the profile holds: its package, version and derivation. Absent in entries written before it was recorded.',
          expected: 'an object with name, version and drvPath',
        },
      ),
    ),
    match: Type.Optional(
      Type.Object(
        {
          drvPath: Type.String({ pattern: '^/', expected: 'a store path' }),
          share: Type.Number({ minimum: 0, maximum: 1, expected: 'a number from 0 to 1' }),
          functions: Type.Integer({ minimum: 0, expected: 'a whole number' }),
          matched: Type.Integer({ minimum: 0, expected: 'a whole number' }),
          measuredAt: Type.String({ expected: 'a string' }),
        },
        {
          additionalProperties: false,
          description:
            "How much of the profile the optimized build of drvPath uses, measured on its instrumented twin: the share of the profile's counts, and its functions with counts and how many of them the build keeps. Absent until measured.",
          expected: 'an object with drvPath, share, functions, matched and measuredAt',
        },
      ),
    ),
  },
  { additionalProperties: false, description: 'One locked profile.', expected: 'an object' },
);

const profiles = (description: string) =>
  Type.Record(Type.String(), LockedProfileSchema, { description, expected: 'an object of locked profiles by name' });

export const LockFileSchema = Type.Object(
  {
    version: Type.Literal(1, { description: 'Format version of this file; only 1 exists.', expected: '1' }),
    packages: profiles('The PGO profile of each package, by its name in the config.'),
    boltProfiles: Type.Optional(
      profiles('The BOLT profile of each package with BOLT; absent when none has one (lock files from before BOLT).'),
    ),
  },
  {
    additionalProperties: false,
    title: 'nix-pgo lock file',
    description:
      'pgo-lock.json: the merged profile of each package in the Nix store, so that a pure evaluation names the same one. See docs/store.md.',
    expected: 'an object',
  },
);

export type LockedProfile = Static<typeof LockedProfileSchema>;
export type LockFile = Static<typeof LockFileSchema>;
