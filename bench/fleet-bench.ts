/**
 * Benchmark (not a test): how the aggregator's round grows with machines and
 * packages. For M simulated machines' profiles of each of P packages it times
 * what the aggregator does per round with the same functions it calls:
 * checking each record's Ed25519 signature (nix-signature.ts), measuring each
 * new profile's mass (the format's measureMass, one llvm-profdata call each;
 * here every profile is new, the worst round: the aggregator keeps the masses
 * it measured, so later rounds measure only the profiles that changed),
 * the bound per machine (planFleetMerge) and the weighted merge of each
 * package (the format's combine, one call per package). Not timed: Nix's
 * copies from the cache, which grow with the bytes that changed, not with
 * this code. Profiles are synthetic clang profiles (F functions of 4 counters,
 * each machine's counts a random multiple). Prints one line per M, and the
 * cost per profile, which stays flat when the round is linear.
 * Usage: node dist/bench/fleet-bench.js [--machines 1,10,100] [--packages 50] [--functions 200]
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_POLICY } from '../src/config/defaults.js';
import { planFleetMerge } from '../src/fleet/plan-fleet.js';
import { isSignedBy, parsePublicKey, type PathInfo, pathFingerprint } from '../src/formats/nix-signature.js';
import { profileFormat } from '../src/merge/profile-formats.js';
import { run } from '../src/process/run.js';
import { LLVM_PROFDATA, tempDir } from '../test/support/spool-fixture.js';

const { values } = parseArgs({
  options: {
    machines: { type: 'string', default: '1,10,100' },
    packages: { type: 'string', default: '50' },
    functions: { type: 'string', default: '200' },
  },
});
const machineCounts = values.machines.split(',').map(Number);
const packageCount = Number(values.packages);
const functionCount = Number(values.functions);
const maxMachines = Math.max(...machineCounts);
const format = profileFormat('clang');

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

/** A clang IR profile in llvm-profdata's text form: the package's functions, each machine's counts scaled by `scale`. */
function textProfile(pkg: number, scale: number): string {
  const lines = ['# IR level Instrumentation Flag', ':ir'];
  for (let f = 0; f < functionCount; f++)
    lines.push(
      `pkg${pkg}_fn${f}`,
      '# Func Hash:',
      String(1000 + f),
      '# Num Counters:',
      '4',
      '# Counter Values:',
      ...[1, 3, 7, 11].map((c) => String(c * (f + 1) * scale)),
      '',
    );
  return `${lines.join('\n')}\n`;
}

/** A record of `machine` signed by its key, as the aggregator finds it in the cache. */
function signedRecord(machine: number) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const name = `m${machine}`;
  const key = parsePublicKey(
    `${name}:${Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64')}`,
    name,
  );
  const info: Omit<PathInfo, 'signatures'> = {
    path: `/nix/store/${'0'.repeat(31)}${machine % 10}-nix-pgo-record-${name}.json`,
    narHash: `sha256-${Buffer.alloc(32, machine).toString('base64')}`,
    narSize: 1000 + machine,
    references: [],
  };
  const signature = sign(null, Buffer.from(pathFingerprint(info)), privateKey).toString('base64');
  return { key, info: { ...info, signatures: [`${name}:${signature}`] } };
}

const root = tempDir('fleet-bench');
try {
  // Setup, not timed: every machine's profile of every package.
  const setupStart = process.hrtime.bigint();
  const profiles: string[][] = [];
  for (let m = 0; m < maxMachines; m++) {
    const dir = join(root, `m${m}`);
    mkdirSync(dir, { recursive: true });
    const scale = 1 + ((m * 7919) % 13);
    const row: string[] = [];
    for (let p = 0; p < packageCount; p++) {
      const text = join(dir, `p${p}.proftext`);
      writeFileSync(text, textProfile(p, scale));
      const out = join(dir, `p${p}.profdata`);
      await run(LLVM_PROFDATA, ['merge', '-o', out, text]);
      rmSync(text);
      row.push(out);
    }
    profiles.push(row);
  }
  const records = Array.from({ length: maxMachines }, (_, m) => signedRecord(m));
  process.stdout.write(
    `fleet aggregator round: ${packageCount} packages of ${functionCount} functions; setup ${seconds(setupStart).toFixed(1)} s\n`,
  );
  process.stdout.write('machines  profiles  verify ms  measure s  plan ms  combine s  total s  ms/profile\n');

  for (const machines of machineCounts) {
    const start = process.hrtime.bigint();
    const verifyStart = process.hrtime.bigint();
    for (const r of records.slice(0, machines))
      if (!isSignedBy(r.info, r.key)) throw new Error(`${r.key.name}'s record is not signed`);
    const verify = seconds(verifyStart) * 1000;
    let measure = 0;
    let plan = 0;
    let combine = 0;
    for (let p = 0; p < packageCount; p++) {
      const measureStart = process.hrtime.bigint();
      const used: { machine: string; mass: number; runs: number; path: string }[] = [];
      for (let m = 0; m < machines; m++)
        used.push({
          machine: `m${m}`,
          mass: await format.measureMass(LLVM_PROFDATA, profiles[m]![p]!),
          runs: 1,
          path: profiles[m]![p]!,
        });
      measure += seconds(measureStart);
      const planStart = process.hrtime.bigint();
      const merged = planFleetMerge(used, DEFAULT_POLICY);
      plan += seconds(planStart) * 1000;
      const combineStart = process.hrtime.bigint();
      const target = join(root, 'fleet', `p${p}-${machines}.profdata`);
      mkdirSync(join(root, 'fleet'), { recursive: true });
      await format.combine(
        LLVM_PROFDATA,
        used.map((u) => ({ path: u.path, weight: merged.machines.get(u.machine)!.weight })),
        target,
      );
      combine += seconds(combineStart);
    }
    const total = seconds(start);
    const count = machines * packageCount;
    process.stdout.write(
      `${String(machines).padStart(8)}  ${String(count).padStart(8)}  ${verify.toFixed(1).padStart(9)}  ${measure.toFixed(2).padStart(9)}  ${plan.toFixed(1).padStart(7)}  ${combine.toFixed(2).padStart(9)}  ${total.toFixed(2).padStart(7)}  ${((total * 1000) / count).toFixed(2).padStart(10)}\n`,
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
