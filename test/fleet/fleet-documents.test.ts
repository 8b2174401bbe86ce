/**
 * What a fleet writes to its cache: one TypeBox definition per document gives
 * the committed schema files (stale ones fail here) and the checks, whose
 * errors name the document, every place that is wrong and who puts it right.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { StateError } from '../../src/errors/errors.js';
import {
  FLEET_SCHEMA_FILES,
  type FleetLock,
  FleetLockSchema,
  type FleetRecord,
  FleetRecordSchema,
  LockPointerSchema,
  MachinePointerSchema,
  parseFleetDocument,
  renderFleetDocument,
} from '../../src/fleet/fleet-documents.js';
import { renderSchemaFile } from '../../src/formats/schema-file.js';

const PROFILE = '/nix/store/0c1wqyq7cqvf4f2bs0c1ab4rs5dh3zl4-pgo-calc.profdata';
const HASH = 'sha256:0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73';

const record: FleetRecord = {
  nixPgoFleet: 'record',
  version: 1,
  machine: 'm1',
  publishedAt: '2026-12-07T04:00:00.000Z',
  packages: {
    calc: {
      profile: { storePath: PROFILE, hashMode: 'flat', hash: HASH },
      toolchain: 'clang',
      source: { name: 'calc', version: '1.0', drvPath: '/nix/store/x-calc-1.0.drv' },
      generation: 2,
      runs: 3,
      counts: 20_819_598,
      mergedAt: '2026-12-07T03:59:00.000Z',
    },
  },
};

const lock: FleetLock = {
  version: 1,
  packages: {
    calc: { storePath: PROFILE, hashMode: 'flat', hash: HASH, generation: 1, lockedAt: '2026-12-07T04:01:00.000Z' },
  },
  fleet: {
    generation: 1,
    publishedAt: '2026-12-07T04:01:00.000Z',
    aggregator: 'agg',
    builds: {
      calc: {
        drvPath: '/nix/store/y-calc-1.0.drv',
        outPath: '/nix/store/z-calc-1.0',
        machines: ['m1', 'm2', 'm3'],
        counts: 69_398_660,
        runs: 10,
      },
    },
    profilingDuty: { share: 0.34, machines: ['m2'] },
  },
};

function refusal(fn: () => unknown): StateError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof StateError, String(error));
    return error;
  }
  assert.fail('it was accepted');
}

describe('the fleet schema files', () => {
  for (const [path, schema] of FLEET_SCHEMA_FILES)
    it(`${path} is what its definition renders (npm run schema writes it)`, () => {
      const committed = readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
      assert.equal(committed, renderSchemaFile(schema));
    });
});

describe('parseFleetDocument', () => {
  it('reads back what nix-pgo writes, in its one form', () => {
    const text = renderFleetDocument(record);
    assert.deepEqual(parseFleetDocument(FleetRecordSchema, text, 'the record'), record);
    assert.deepEqual(parseFleetDocument(FleetLockSchema, renderFleetDocument(lock), 'the lock'), lock);
    assert.equal(text, renderFleetDocument(JSON.parse(text)), 'the same document renders to the same bytes');
    assert.ok(text.endsWith('}\n'));
  });

  it('names the document and every place that is wrong, and says the machine publishes it again', () => {
    const bad = structuredClone(record) as unknown as Record<string, unknown>;
    bad.machine = 'm 1';
    (bad.packages as Record<string, Record<string, unknown>>).calc!.runs = -1;
    const error = refusal(() =>
      parseFleetDocument(FleetRecordSchema, JSON.stringify(bad), 'the record /nix/store/r-nix-pgo-record-m1.json'),
    );
    assert.match(error.message, /^the record \/nix\/store\/r-nix-pgo-record-m1\.json is not valid: /);
    assert.match(error.message, /machine must be a machine name/);
    assert.match(error.message, /packages\.calc\.runs must be a whole number/);
    assert.match(error.hints.join('\n'), /its machine writes a valid one .*nix-pgo fleet publish/);
  });

  it('says a lock is put right by the aggregator, and reads text that is not JSON as such', () => {
    const bad = structuredClone(lock) as unknown as { fleet: Record<string, unknown> };
    delete bad.fleet.aggregator;
    bad.fleet.profilingDuty = { share: 2, machines: [] };
    const error = refusal(() =>
      parseFleetDocument(FleetLockSchema, JSON.stringify(bad), 'the fleet lock /nix/store/l'),
    );
    assert.match(error.message, /^the fleet lock \/nix\/store\/l is not valid: /);
    assert.match(error.message, /fleet\.aggregator must be a machine name/);
    assert.match(error.message, /fleet\.profilingDuty\.share must be a number from 0 to 1/);
    assert.match(error.hints.join('\n'), /the aggregator writes a valid one .*nix-pgo fleet aggregate/);

    const notJson = refusal(() => parseFleetDocument(LockPointerSchema, '{"lock": ', 'nix-pgo/fleet-lock.json'));
    assert.match(notJson.message, /^nix-pgo\/fleet-lock\.json is not JSON \(/);
    assert.match(notJson.hints.join('\n'), /the aggregator/);
  });

  it('refuses a pointer of another kind, and keeps members a newer writer adds', () => {
    const pointer = { nixPgoFleet: 'machine-pointer', version: 1, machine: 'm1', record: '/nix/store/r' };
    const error = refusal(() =>
      parseFleetDocument(LockPointerSchema, JSON.stringify(pointer), 'nix-pgo/fleet-lock.json'),
    );
    assert.match(error.message, /nixPgoFleet must be "lock-pointer"/);
    const newer = { ...pointer, comment: 'from a newer nix-pgo' };
    assert.deepEqual(
      parseFleetDocument(MachinePointerSchema, JSON.stringify(newer), 'nix-pgo/machines/m1.json'),
      newer,
    );
  });
});
