/**
 * What a fleet writes to its binary cache (docs/fleet.md): a machine's record
 * (a store path: its merged profile of each package, and what it is), the
 * fleet lock (a store path: a lock file nix/lock.nix reads, with the fleet's
 * builds and its profiling duty), and the two kinds of mutable pointers beside
 * the cache that name the newest of each. One TypeBox definition per document
 * gives its type, its checks and its schema file (`npm run schema`).
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { StateError } from '../errors/errors.js';
import { formatProblems } from '../formats/format-problems.js';
import { LockedProfileSchema } from '../store/lock-file-schema.js';

/** A machine's name is its signing key's name; it names files and store paths, so it is kept to safe characters. */
export const MACHINE_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._+-]*$';

const storePath = (description: string) => Type.String({ pattern: '^/', description, expected: 'a store path' });
const time = (description: string) => Type.String({ description, expected: 'a time (ISO 8601)' });
const machineName = (description: string) =>
  Type.String({ pattern: MACHINE_NAME_PATTERN, description, expected: 'a machine name' });

const ProfileRefSchema = Type.Object(
  {
    storePath: storePath('Content-addressed store path of the profile.'),
    hashMode: Type.Union([Type.Literal('flat'), Type.Literal('recursive')], { expected: 'flat or recursive' }),
    hash: Type.String({ pattern: '^sha256:', expected: 'a hash that starts with sha256:' }),
    system: Type.Optional(Type.String({ expected: 'a Nix system such as x86_64-linux' })),
  },
  { description: 'The profile as a lock file entry names it.', expected: 'an object' },
);

export const FleetRecordSchema = Type.Object(
  {
    nixPgoFleet: Type.Literal('record', { expected: '"record"' }),
    version: Type.Literal(1, { expected: '1' }),
    machine: machineName('The machine that published it: the name of the key that signed it.'),
    publishedAt: time('When it was published; a record older than one the aggregator has is refused.'),
    packages: Type.Record(
      Type.String(),
      Type.Object(
        {
          profile: ProfileRefSchema,
          toolchain: Type.Union([Type.Literal('clang'), Type.Literal('gcc')], { expected: 'clang or gcc' }),
          source: Type.Object(
            {
              name: Type.String({ expected: 'a string' }),
              version: Type.Union([Type.String(), Type.Null()], { expected: 'a string or null' }),
              drvPath: storePath('The derivation of the instrumented build whose runs the profile holds.'),
            },
            { expected: 'an object with name, version and drvPath' },
          ),
          generation: Type.Integer({
            minimum: 1,
            description: "The machine's merge generation.",
            expected: 'a whole number',
          }),
          runs: Type.Integer({
            minimum: 0,
            description: 'Instrumented runs, as the machine counted them.',
            expected: 'a whole number',
          }),
          counts: Type.Number({
            minimum: 0,
            description: 'Counts merged, as the machine counted them (the aggregator measures its own).',
            expected: 'a number',
          }),
          mergedAt: time('When the machine merged it.'),
        },
        { expected: 'an object' },
      ),
      {
        description: "The machine's merged profile of each package, by its name in the config.",
        expected: 'an object',
      },
    ),
  },
  {
    title: 'nix-pgo fleet record',
    description: "One machine's profiles, published to the fleet's binary cache as a store path it signed.",
    expected: 'an object',
  },
);

export const MachinePointerSchema = Type.Object(
  {
    nixPgoFleet: Type.Literal('machine-pointer', { expected: '"machine-pointer"' }),
    version: Type.Literal(1, { expected: '1' }),
    machine: machineName('The machine whose record it names.'),
    record: storePath('The store path of its newest record.'),
  },
  {
    title: 'nix-pgo fleet machine pointer',
    description:
      'nix-pgo/machines/MACHINE.json beside the cache: the newest record of one machine. Not signed: the record is.',
    expected: 'an object',
  },
);

export const LockPointerSchema = Type.Object(
  {
    nixPgoFleet: Type.Literal('lock-pointer', { expected: '"lock-pointer"' }),
    version: Type.Literal(1, { expected: '1' }),
    lock: storePath('The store path of the newest fleet lock.'),
    generation: Type.Integer({
      minimum: 1,
      description: 'Its generation, for people; the signed lock decides.',
      expected: 'a whole number',
    }),
  },
  {
    title: 'nix-pgo fleet lock pointer',
    description: 'nix-pgo/fleet-lock.json beside the cache: the newest fleet lock. Not signed: the lock is.',
    expected: 'an object',
  },
);

export const FleetLockSchema = Type.Object(
  {
    version: Type.Literal(1, { description: 'A lock file of version 1: nix/lock.nix reads it.', expected: '1' }),
    packages: Type.Record(Type.String(), LockedProfileSchema, {
      description: "The fleet's profile of each package.",
      expected: 'an object of locked profiles by name',
    }),
    fleet: Type.Object(
      {
        generation: Type.Integer({
          minimum: 1,
          description: 'One more than the lock before it; a machine refuses a lock older than the one it follows.',
          expected: 'a whole number',
        }),
        publishedAt: time('When the aggregator published it.'),
        aggregator: machineName('The aggregator: the name of the key that signed it.'),
        builds: Type.Record(
          Type.String(),
          Type.Object(
            {
              drvPath: storePath("The optimized variant's derivation as the aggregator evaluated it."),
              outPath: storePath('Its output, in the cache.'),
              machines: Type.Array(Type.String(), {
                description: 'The machines whose data it holds.',
                expected: 'a list of machine names',
              }),
              counts: Type.Number({
                minimum: 0,
                description: "The fleet's counts after the bound per machine.",
                expected: 'a number',
              }),
              runs: Type.Integer({ minimum: 0, expected: 'a whole number' }),
            },
            { expected: 'an object' },
          ),
          { description: 'What the aggregator built for each package.', expected: 'an object' },
        ),
        profilingDuty: Type.Object(
          {
            share: Type.Number({ minimum: 0, maximum: 1, expected: 'a number from 0 to 1' }),
            machines: Type.Array(Type.String(), {
              description: 'The machines that keep the profiling variant with this lock.',
              expected: 'a list of machine names',
            }),
          },
          { expected: 'an object with share and machines' },
        ),
      },
      {
        description: "The fleet's part: who built what, from whose data, and who keeps profiling.",
        expected: 'an object',
      },
    ),
  },
  {
    title: 'nix-pgo fleet lock',
    description:
      "The fleet's profile of each package, as a lock file (nix/lock.nix reads `packages`), and what the aggregator built with it. Published as a store path it signed.",
    expected: 'an object',
  },
);

export type FleetRecord = Static<typeof FleetRecordSchema>;
export type FleetRecordPackage = FleetRecord['packages'][string];
export type MachinePointer = Static<typeof MachinePointerSchema>;
export type LockPointer = Static<typeof LockPointerSchema>;
export type FleetLock = Static<typeof FleetLockSchema>;

/** Where each schema file lives, from the repository root. */
export const FLEET_SCHEMA_FILES: readonly (readonly [string, TSchema])[] = [
  ['schema/fleet-record.schema.json', FleetRecordSchema],
  ['schema/fleet-lock.schema.json', FleetLockSchema],
  ['schema/fleet-machine-pointer.schema.json', MachinePointerSchema],
  ['schema/fleet-lock-pointer.schema.json', LockPointerSchema],
];

const REPUBLISH_RECORD =
  'its machine writes a valid one at its next round (nix-pgo fleet publish there); check that it runs the same nix-pgo version';
const REPUBLISH_LOCK =
  'the aggregator writes a valid one at its next round (nix-pgo fleet aggregate there); check that it runs the same nix-pgo version';

/** How each document is put right: by whoever writes it. */
const FIXES = new Map<TSchema, string>([
  [FleetRecordSchema, REPUBLISH_RECORD],
  [MachinePointerSchema, REPUBLISH_RECORD],
  [FleetLockSchema, REPUBLISH_LOCK],
  [LockPointerSchema, REPUBLISH_LOCK],
]);

/**
 * `text` as a document of `schema`, or a StateError naming `what` (the file) and every problem, with the fix as
 * its hint (members it does not know are kept).
 */
export function parseFleetDocument<T>(schema: TSchema, text: string, what: string): T {
  const hints = [FIXES.get(schema) ?? 'write it again with this nix-pgo version'];
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new StateError('STATE', `${what} is not JSON (${(error as Error).message})`, { hints });
  }
  const problems = formatProblems(schema, data);
  if (problems.length > 0) throw new StateError('STATE', `${what} is not valid: ${problems.join('; ')}`, { hints });
  return data as T;
}

/** A document's text as nix-pgo writes it (its store path depends on every byte, so one form only). */
export function renderFleetDocument(document: object): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
