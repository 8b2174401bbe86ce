/** `nix-pgo doctor`: every check runs; an active BOLT-instrumented variant needs the directory its programs write to. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/parse-config.js';
import { renderDoctor, runDoctor } from '../../src/doctor/run-doctor.js';
import { ensureBoltDir } from '../../src/spool/bolt-dir.js';
import { newLifecycleRecord } from '../../src/model/lifecycle-record.js';
import { tempDir } from '../support/spool-fixture.js';

test('an active BOLT-instrumented variant whose directory is missing is a problem with its fix, and fine once it exists', async () => {
  const root = tempDir('doctor');
  const variant = join(root, 'calc-bolt-profile');
  const boltDir = join(root, 'spool', 'bolt');
  mkdirSync(join(variant, 'nix-support'), { recursive: true });
  writeFileSync(join(variant, 'nix-support', 'pgo.json'), JSON.stringify({ kind: 'bolt-profile', boltDir }));
  const config = parseConfig({
    text: JSON.stringify({ stateDir: join(root, 'state'), nixFile: '/p.nix', packages: { calc: {} } }),
    file: join(root, 'config.json'),
    env: {},
  });
  const records = [
    {
      ...newLifecycleRecord('calc', new Date()),
      state: 'bolt-profiling' as const,
      activeVariant: 'bolt-profile' as const,
      activePath: variant,
    },
  ];
  const uid = process.getuid!();

  const before = await runDoctor({ config, records, env: {}, uid });
  const check = before.checks.find((c) => c.name === 'BOLT directory of calc')!;
  assert.equal(check.ok, false);
  assert.match(check.detail, /does not exist: the BOLT-instrumented calc exits with status 1/);
  assert.match(
    renderDoctor(before),
    /fix: start the daemon \(it creates the directory\), or switch back: nix-pgo switch calc optimized/,
  );

  assert.equal(ensureBoltDir(boltDir, uid), null);
  const after = await runDoctor({ config, records, env: {}, uid });
  assert.deepEqual(
    after.checks.find((c) => c.name === 'BOLT directory of calc'),
    { name: 'BOLT directory of calc', ok: true, detail: `${boltDir} (mode 1733)`, fix: '' },
  );
});

test('two managed packages that ship the same program are a problem: doctor names them and the one the profile runs', async () => {
  const root = tempDir('doctor-collision');
  const variant = (name: string) => {
    mkdirSync(join(root, name, 'bin'), { recursive: true });
    writeFileSync(join(root, name, 'bin', 'ticker'), '');
    return join(root, name);
  };
  const config = parseConfig({
    text: JSON.stringify({
      stateDir: join(root, 'state'),
      nixProfile: join(root, 'profile'),
      nixFile: '/p.nix',
      packages: { ticker: {}, tickerLive: {} },
    }),
    file: join(root, 'config.json'),
    env: {},
  });
  mkdirSync(join(root, 'profile', 'bin'), { recursive: true });
  symlinkSync(join(variant('ticker'), 'bin', 'ticker'), join(root, 'profile', 'bin', 'ticker'));
  const records = ['ticker', 'tickerLive'].map((name) => ({
    ...newLifecycleRecord(name, new Date()),
    activeVariant: 'profile' as const,
    activePath: variant(name),
  }));
  const report = await runDoctor({ config, records, env: {}, uid: process.getuid!() });
  const check = report.checks.find((c) => c.name === 'profile collisions')!;
  assert.equal(check.ok, false);
  assert.match(check.detail, /^bin\/ticker is in ticker and tickerLive; the Nix profile runs ticker's/);
  assert.match(renderDoctor(report), /fix: manage one package per program/);
  const alone = await runDoctor({ config, records: records.slice(0, 1), env: {}, uid: process.getuid!() });
  assert.equal(alone.checks.find((c) => c.name === 'profile collisions')!.ok, true);
});
