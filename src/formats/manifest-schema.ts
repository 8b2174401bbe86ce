/**
 * The manifest every nix-pgo build writes, `$out/nix-support/pgo.json`, one
 * definition per kind of build: PGO-instrumented (`profile`), PGO-optimized
 * (`optimized`), BOLT-instrumented (`bolt-profile`) and BOLT-optimized
 * (`bolt-optimized`). From it come schema/manifest.schema.json (`npm run
 * schema`) and the checks of manifest.ts; the builders (nix/manifest.nix,
 * nix/attrs.nix, nix/bolt.nix) write what it says, which the tests of real
 * builds check.
 *
 * Required members are those a reader may rely on in any manifest; optional
 * ones are written by current builders but may be missing in older ones.
 * Custom keyword, left out of the JSON file: `expected`, a valid value in
 * words, for messages (format-problems.ts).
 */
import { type Static, type TLiteral, type TSchema, type TUnion, Type } from '@sinclair/typebox';

/** Where the generated file lives, from the repository root. */
export const MANIFEST_SCHEMA_PATH = 'schema/manifest.schema.json';

/** Absolute, without a trailing `/` and without `.` or `..` components in the middle. */
const ABSOLUTE_DIR = '^(?!.*/\\.\\.?/)(?!.*/$)/.+$';

function text(description: string) {
  return Type.String({ minLength: 1, description, expected: 'a non-empty string' });
}

function oneOf<const T extends string>(values: readonly T[], description: string) {
  return Type.Union(
    values.map((value) => Type.Literal(value)),
    { description, expected: values.map((value) => JSON.stringify(value)).join(' or ') },
  ) as TUnion<TLiteral<T>[]>;
}

function orNull<T extends TSchema>(schema: T, description: string, expected: string) {
  return Type.Union([schema, Type.Null()], { description, expected });
}

const absoluteDir = (description: string) =>
  Type.String({ pattern: ABSOLUTE_DIR, description, expected: 'an absolute directory path' });

const sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });

const relativePath = Type.String({
  pattern: '^[^/]',
  description: "The file's path below its output.",
  expected: 'a relative path',
});

const output = Type.String({
  minLength: 1,
  description: 'The output the file is in (out, lib, ...).',
  expected: 'a non-empty string',
});

/** What every manifest starts with. */
function identity<K extends string>(kind: K, description: string) {
  return {
    nixPgo: Type.Literal(1, { description: 'Format version of this file; only 1 exists.', expected: '1' }),
    kind: Type.Literal(kind, { description, expected: JSON.stringify(kind) }),
    name: text("The derivation's name."),
    pname: text("The package's name (its pname, else its name)."),
    version: text("The package's version."),
    outPath: text("The store path of the build's first output."),
  };
}

const pgoBinary = Type.Object(
  {
    output,
    path: relativePath,
    buildId: Type.String({
      pattern: '^([0-9a-fA-F]{2}){1,64}$',
      description:
        'Its ELF build ID in hex, as `readelf -n` prints it; raw profiles carry the same ID, which is how a profile is matched to its package.',
      expected: 'a hex string',
    }),
  },
  {
    additionalProperties: false,
    description: 'An ELF file of the build (for an instrumented build, one that writes profiles).',
    expected: 'an object with output, path and buildId',
  },
);

const toolchain = oneOf(
  ['clang', 'gcc'],
  'The compiler the package is built with: IR PGO (clang) or gcda files (GCC).',
);
const compilerVersion = text("The compiler's version: profiles must be merged with the tools of the same release.");
const defaultProfileDir = text(
  "The library's defaultProfileDir: the spool programs write to when NIX_PGO_SPOOL is unset (see docs/harvest.md).",
);

const spoolLayout = Type.Optional(
  Type.Literal(2, {
    description:
      "How the build's programs write into the spool: 2, each into a directory of its user's own (<fmt>/<uid>/) that it checked; missing in older builds, whose programs wrote into <fmt>/ itself.",
    expected: '2',
  }),
);

export const ProfileManifestSchema = Type.Object(
  {
    ...identity('profile', 'A PGO-instrumented build: its programs write profiles.'),
    toolchain,
    compilerVersion,
    mergeTool: text(
      'The merge tool that matches the compiler (llvm-profdata of its LLVM, or gcov-tool), kept in the closure on purpose.',
    ),
    defaultProfileDir,
    gcdaDir: Type.Optional(
      orNull(
        absoluteDir('GCC: the directory the build baked in (-fprofile-generate=DIR); null for clang.'),
        'GCC: the directory the build baked in (-fprofile-generate=DIR); null for clang.',
        'null (clang) or an absolute directory path (GCC)',
      ),
    ),
    collection: Type.Optional(
      oneOf(['exit', 'continuous'], 'When the programs write: at exit, or continuously into a live file (clang).'),
    ),
    spoolLayout,
    binaries: Type.Array(pgoBinary, {
      description: 'Every instrumented ELF file of every output.',
      expected: 'a list of objects',
    }),
  },
  { additionalProperties: false, title: 'PGO-instrumented build', expected: 'an object' },
);

export const OptimizedManifestSchema = Type.Object(
  {
    ...identity('optimized', 'A PGO-optimized build: built with a merged profile.'),
    toolchain,
    compilerVersion,
    defaultProfileDir,
    gcdaDir: Type.Null({ description: 'Always null: the build writes no profiles.', expected: 'null' }),
    profile: text('The store path of the merged profile the build used.'),
    profileSha256: orNull(
      sha256,
      "The profile file's SHA-256 in hex; null for a profile directory (GCC).",
      'a SHA-256 in hex, or null',
    ),
    binaries: Type.Array(pgoBinary, { description: 'Every ELF file of every output.', expected: 'a list of objects' }),
  },
  { additionalProperties: false, title: 'PGO-optimized build', expected: 'an object' },
);

/** BOLT's build IDs: lower-case hex, or empty for a file without one. */
const boltBuildId = (description: string, expected: string, pattern: string) =>
  Type.String({ pattern, description, expected });

function boltBinary(extra: Record<string, TSchema>, description: string) {
  return Type.Object(
    {
      output,
      path: relativePath,
      buildId: Type.Optional(
        boltBuildId(
          "The build ID of the file as this build left it (BOLT flips the input's last bit); empty if it has none.",
          'a lower-case hex string, or empty',
          '^([0-9a-f]{2})*$',
        ),
      ),
      inputBuildId: boltBuildId(
        "The PGO-optimized file's build ID, which names its BOLT profiles; empty if it has none.",
        'a lower-case hex build id, or empty',
        '^([0-9a-f]{16,128})?$',
      ),
      outcome: oneOf(
        ['instrumented', 'optimized', 'fallback'],
        'What BOLT did: fallback keeps the PGO-optimized file.',
      ),
      reason: Type.Optional(
        orNull(Type.String(), 'Why the file is a fallback, on one line; null otherwise.', 'a string or null'),
      ),
      ...extra,
    },
    { additionalProperties: false, description, expected: 'an object with output, path, inputBuildId and outcome' },
  );
}

/** What both BOLT kinds have after their identity. */
const boltCommon = {
  toolchain: Type.Optional(
    orNull(
      oneOf(['clang', 'gcc'], "The PGO-optimized build's compiler."),
      "The PGO-optimized build's compiler; null when it was not built by nix-pgo.",
      '"clang", "gcc" or null',
    ),
  ),
  compilerVersion: orNull(
    Type.String({ minLength: 1 }),
    "The PGO-optimized build's compiler version; null when it was not built by nix-pgo.",
    'a non-empty string or null',
  ),
  pgoProfileSha256: Type.Optional(
    orNull(sha256, 'The profileSha256 of the PGO-optimized build, or null.', 'a SHA-256 in hex, or null'),
  ),
};

const boltTail = {
  boltFlags: Type.Optional(
    Type.String({ description: 'The llvm-bolt flags every file was rewritten with.', expected: 'a string' }),
  ),
  smokeTest: Type.Optional(
    orNull(
      oneOf(
        ['passed', 'not run: no file was rewritten', 'failed: files kept from the PGO-optimized outputs'],
        "The smoke test's result.",
      ),
      "The smoke test's result; null without a smoke test.",
      'null or the result of the smoke test',
    ),
  ),
};

export const BoltProfileManifestSchema = Type.Object(
  {
    ...identity('bolt-profile', 'A BOLT-instrumented build: its programs write fdata files.'),
    ...boltCommon,
    boltTool: Type.Optional(text('The llvm-bolt the files were instrumented with.')),
    mergeTool: text('merge-fdata of the same BOLT, kept in the closure on purpose: the daemon merges with it.'),
    boltDir: absoluteDir(
      "The spool's bolt/ directory baked into every instrumented file (BOLT reads no environment variable), where programs write when NIX_PGO_SPOOL is unset.",
    ),
    spoolLayout,
    fdataName: Type.Optional(
      oneOf(
        ['<uid>/<inputBuildId>.<pid>.fdata', '<inputBuildId>.<pid>.fdata'],
        "How the instrumented files name what they write below boltDir (or NIX_PGO_SPOOL's bolt/): in the user's own directory; directly in boltDir in builds before spoolLayout 2.",
      ),
    ),
    dumpInterval: Type.Optional(
      orNull(
        Type.Integer({ minimum: 1 }),
        'Seconds between the periodic dumps of a watcher process, or null when files are written at exit only.',
        'a positive whole number of seconds, or null',
      ),
    ),
    ...boltTail,
    binaries: Type.Array(
      boltBinary(
        {
          fdataPrefix: Type.Optional(
            Type.String({
              pattern: '^/',
              description:
                'Instrumented files: boltDir and the input build ID; the file writes <boltDir>/<uid>/<input build id>.<pid>.fdata (directly <fdataPrefix>.<pid>.fdata in builds before spoolLayout 2).',
              expected: 'an absolute path',
            }),
          ),
          smokeProfile: Type.Optional(
            Type.Boolean({
              description: 'With a smoke test: whether the smoke test made the file write a profile.',
              expected: 'true or false',
            }),
          ),
        },
        'An ELF executable or shared library of the PGO-optimized outputs.',
      ),
      { description: 'Every ELF executable and shared library, with its outcome.', expected: 'a list of objects' },
    ),
  },
  { additionalProperties: false, title: 'BOLT-instrumented build', expected: 'an object' },
);

const count = (description: string) =>
  Type.Optional(Type.Integer({ minimum: 0, description, expected: 'a whole number' }));

export const BoltOptimizedManifestSchema = Type.Object(
  {
    ...identity('bolt-optimized', 'A BOLT-optimized build: rewritten by llvm-bolt with a BOLT profile.'),
    ...boltCommon,
    profile: text('The store path of the BOLT profile (a directory of <build id>.fdata files).'),
    ...boltTail,
    binaries: Type.Array(
      boltBinary(
        {
          profileKey: Type.Optional(
            orNull(
              oneOf(['build-id', 'path'], 'How its profile was found.'),
              'How its profile was found: by build ID or by OUTPUT/PATH.fdata; null when there was none.',
              '"build-id", "path" or null',
            ),
          ),
          functions: Type.Optional(
            orNull(Type.Integer({ minimum: 0 }), 'Optimized files: functions in the file.', 'a whole number or null'),
          ),
          functionsProfiled: Type.Optional(
            orNull(
              Type.Integer({ minimum: 0 }),
              'Optimized files: functions with a non-empty profile.',
              'a whole number or null',
            ),
          ),
          functionsNotOptimized: count('Optimized files: functions with a profile that BOLT could not optimize.'),
          functionsStale: count('Optimized files: functions whose profile BOLT found stale.'),
        },
        'An ELF executable or shared library of the PGO-optimized outputs.',
      ),
      { description: 'Every ELF executable and shared library, with its outcome.', expected: 'a list of objects' },
    ),
  },
  { additionalProperties: false, title: 'BOLT-optimized build', expected: 'an object' },
);

/** The schema of each kind of manifest. */
export const MANIFEST_SCHEMAS = {
  profile: ProfileManifestSchema,
  optimized: OptimizedManifestSchema,
  'bolt-profile': BoltProfileManifestSchema,
  'bolt-optimized': BoltOptimizedManifestSchema,
} as const;

export type ManifestKind = keyof typeof MANIFEST_SCHEMAS;

export const ManifestSchema = Type.Union(
  [ProfileManifestSchema, OptimizedManifestSchema, BoltProfileManifestSchema, BoltOptimizedManifestSchema],
  {
    title: 'nix-pgo build manifest',
    description:
      'nix-support/pgo.json of a build made by the nix-pgo library: what the daemon needs to attribute profiles to the build and to merge them. See docs/nix-library.md.',
  },
);

export type ProfileManifestFile = Static<typeof ProfileManifestSchema>;
export type BoltProfileManifestFile = Static<typeof BoltProfileManifestSchema>;
