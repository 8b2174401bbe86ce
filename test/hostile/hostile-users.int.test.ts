/**
 * Hostile local users against a shared spool (issue 19), each attacker a real
 * second uid acting through its own processes, the victim's programs real
 * instrumented builds writing where the v2 writer points them
 * (`<spool>/<fmt>/<uid>/`, or the writer's fallback `<uid>.XXXXXX` when that
 * name is taken), the daemon a collector in its own process. For every case:
 * the victim's runs are all counted (its contributor profile is exactly N
 * runs), the victim's merged profile keeps the bound (no contributor above
 * max(c, 1/N) of the mass, overlap with the victim's data at least
 * 1 − max(c, 1/N)), what `status` says, and the daemon's peak RSS stays under
 * RSS_LIMIT_MIB. The table of cases in docs/harvest.md is this test's output
 * (NIX_PGO_UPDATE_DOCS=1 rewrites it).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ToolError } from '../../src/errors/errors.js';
import { parseFdata, parseFdataName } from '../../src/formats/fdata.js';
import { parseRawProfile } from '../../src/formats/raw-profile.js';
import { planContributorWeights } from '../../src/merge/plan-merge.js';
import { run } from '../../src/process/run.js';
import { withDatabase } from '../../src/state/database.js';
import { getPackage, listContributions } from '../../src/state/package-records.js';
import { stateLayout } from '../../src/state/state-layout.js';
import { describeSpool } from '../../src/status/collect-status.js';
import { profileOverlap } from '../../src/tools/llvm-profdata.js';
import type { ChildPackage } from '../support/collector-process.js';
import { CollectorDriver, type PassAnswer } from '../support/collector-driver.js';
import { repoRoot } from '../support/nix.js';
import {
  boltCounts,
  buildBoltExample,
  buildClangExample,
  buildGccExample,
  claimUserDir,
  clangCounts,
  type Example,
  gccCounts,
  LLVM_PROFDATA,
  scaled,
  tempDir,
  writerEnvironment,
} from '../support/spool-fixture.js';

const VICTIM = { uid: 5201, gid: 5201 };
/** Trusted by no package. */
const ATTACKER = { uid: 5202, gid: 5202 };
/** Trusted by the package: a user whose data counts, forging it. */
const FORGER = { uid: 5203, gid: 5203 };
const ROOT = { uid: 0, gid: 0 };
/** The daemon's peak resident memory in every case, whatever the attacker wrote. */
const RSS_LIMIT_MIB = 160;
const DOCS = join(repoRoot, 'docs/harvest.md');

type User = { uid: number; gid: number };

interface Row {
  name: string;
  attacker: string;
  counted: string;
  bound: string;
  status: string;
}
const rows: Row[] = [];

let root: string;
let clang: Example;
let gcc: Example;
let clangOnce: Map<string, bigint>;
let gccOnce: Map<string, bigint>;

/** Runs a shell script as `user`; resolves to whether it succeeded, and its stderr. */
async function as(user: User, script: string): Promise<{ ok: boolean; stderr: string }> {
  try {
    const result = await run('sh', ['-c', script], { user, env: { PATH: process.env.PATH } });
    return { ok: true, stderr: result.stderr };
  } catch (error) {
    if (error instanceof ToolError) return { ok: false, stderr: error.stderr };
    throw error;
  }
}

async function runAs(example: Example, user: User, env: NodeJS.ProcessEnv, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await run(example.exe, [], { env, user });
}

/** A case's own spool and state, owned by `owner` (the daemon's user). */
function caseDirs(name: string, owner: User = ROOT): { stateDir: string; spool: string } {
  const stateDir = join(root, name, 'state');
  mkdirSync(join(root, name), { recursive: true, mode: 0o755 });
  mkdirSync(stateDir, { mode: 0o700 });
  chownSync(stateDir, owner.uid, owner.gid);
  const spool = join(stateDir, 'spool');
  mkdirSync(spool, { mode: 0o755 });
  chownSync(spool, owner.uid, owner.gid);
  // The state directory is the daemon's; the spool below it must be reachable by everyone, as on NixOS.
  chmodSync(stateDir, 0o711);
  for (const fmt of ['llvm', 'gcda', 'bolt']) {
    mkdirSync(join(spool, fmt), { mode: 0o700 });
    chmodSync(join(spool, fmt), 0o1733);
    chownSync(join(spool, fmt), owner.uid, owner.gid);
  }
  return { stateDir, spool };
}

function pkg(example: Example, trust: User[], maxContributorShare?: number): ChildPackage {
  return {
    name: example.name,
    manifestPath: example.manifestPath,
    trustUids: trust.map((u) => u.uid),
    ...(maxContributorShare === undefined ? {} : { maxContributorShare }),
  };
}

/** Counters of one run of a clang or gcc example, as root, outside any spool. */
async function oneRun(example: Example): Promise<Map<string, bigint>> {
  const scratch = join(root, `once-${example.name}`);
  mkdirSync(scratch);
  await run(example.exe, [], { env: writerEnvironment(scratch) });
  if (example.toolchain === 'gcc') {
    const tree = join(scratch, 'gcda', '0', JSON.parse(readFileSync(example.manifestPath, 'utf8')).gcdaDir);
    return gccCounts(tree);
  }
  const dir = join(scratch, 'llvm', '0');
  const merged = join(scratch, 'once.profdata');
  await run(LLVM_PROFDATA, ['merge', '-o', merged, ...readdirSync(dir).map((f) => join(dir, f))]);
  return clangCounts(merged);
}

/** The branch counts of BOLT profiles as the runs left them in `dir`, keyed as boltCounts keys a merged tree. */
function fdataFileCounts(dir: string): Map<string, bigint> {
  const counts = new Map<string, bigint>();
  for (const name of readdirSync(dir)) {
    const id = parseFdataName(name)!.buildId;
    const parsed = parseFdata(readFileSync(join(dir, name)));
    assert.ok(parsed.ok);
    for (const [key, c] of parsed.profile) {
      for (const [k, v] of [
        [`${id}.fdata\0${key}`, c.count],
        [`${id}.fdata\0${key}\0mispredicts`, c.mispredicts],
      ] as const)
        counts.set(k, (counts.get(k) ?? 0n) + v);
    }
  }
  return counts;
}

interface Outcome {
  runs: Map<number, number>;
  shares: Map<number, number>;
  bound: number;
  mergedPath: string;
  contributorPath: (uid: number) => string;
}

/** What the daemon merged for a package: runs and share of each contributor (as status computes them). */
async function outcomeOf(stateDir: string, name: string, maxShare: number): Promise<Outcome> {
  return withDatabase(stateLayout(stateDir).database, (db) => {
    const contributions = listContributions(db, name);
    const masses = new Map(contributions.map((c) => [c.contributor, c.mass] as const));
    const weights = planContributorWeights(masses, maxShare);
    const total = contributions.reduce((sum, c) => sum + c.mass * weights.get(c.contributor)!, 0);
    const withData = contributions.filter((c) => c.mass > 0).length;
    return {
      runs: new Map(contributions.map((c) => [c.contributor, c.runs] as const)),
      shares: new Map(
        contributions.map((c) => [c.contributor, (c.mass * weights.get(c.contributor)!) / total] as const),
      ),
      bound: withData < 2 ? 1 : Math.max(maxShare, 1 / withData),
      mergedPath: getPackage(db, name)!.mergedPath!,
      contributorPath: (uid) => contributions.find((c) => c.contributor === uid)!.path,
    };
  });
}

/** Every pass kept under the memory limit; the answer of the last. */
function checkMemory(answers: PassAnswer[]): void {
  for (const a of answers)
    assert.ok(a.peakRssKiB / 1024 < RSS_LIMIT_MIB, `daemon peak RSS ${(a.peakRssKiB / 1024).toFixed(0)} MiB`);
}

function shareText(outcome: Outcome, victim: number): string {
  const others = [...outcome.shares].filter(([uid]) => uid !== victim);
  const worst = Math.max(0, ...others.map(([, s]) => s));
  return others.length === 0
    ? 'victim alone: 100 %'
    : `largest other share ${(worst * 100).toFixed(0)} % ≤ max(c, 1/N) = ${(outcome.bound * 100).toFixed(0)} %`;
}

function statusText(answer: PassAnswer): string {
  const spool = describeSpool(answer.spool, new Map()).map((line) =>
    line
      .replace(/ \(last seen [^)]*\)/, '')
      .replace(/ \([0-9.]+ MB\)/, '')
      .replace(/moved aside to \S+/, 'moved aside')
      .replace(new RegExp(`${root}/[^/ ]+/state/spool`, 'g'), '<spool>'),
  );
  const quarantined = Object.entries(answer.quarantine).map(([reason, n]) => `${n} \`${reason}\``);
  return [...spool, ...(quarantined.length > 0 ? [`quarantined: ${quarantined.join(', ')}`] : [])]
    .map((line) => line.replaceAll(/uid \d+/g, (m) => NAMES.get(Number(m.slice(4))) ?? m))
    .join('; ');
}

const NAMES = new Map([
  [VICTIM.uid, 'victim'],
  [ATTACKER.uid, 'attacker'],
  [FORGER.uid, 'forger'],
  [0, 'root'],
]);

before(async () => {
  root = tempDir('hostile');
  chmodSync(root, 0o755);
  clang = await buildClangExample(root, 'hclang');
  gcc = await buildGccExample(root, 'hgcc');
  clangOnce = await oneRun(clang);
  gccOnce = await oneRun(gcc);
});

test('a trusted forger repeats one data record 200 times: weighed per record, it holds at most max(c, 1/N)', async () => {
  const { stateDir, spool } = caseDirs('duplicates');
  const c = 0.2;
  await runAs(clang, VICTIM, writerEnvironment(spool), 10);
  // The forger's own real run, then its coldest record given a plausible count and repeated 200 times.
  const forgerDir = claimUserDir(join(spool, 'llvm'), FORGER.uid);
  await runAs(clang, FORGER, writerEnvironment(spool), 1);
  const exeFile = readdirSync(forgerDir)
    .map((f) => join(forgerDir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
  const forged = repeatColdRecord(readFileSync(exeFile), 200);
  writeFileSync(join(root, 'forged.profraw'), forged);
  chmodSync(join(root, 'forged.profraw'), 0o644);
  assert.ok((await as(FORGER, `cat ${root}/forged.profraw > ${exeFile}`)).ok);
  const naive = join(root, 'naive.profdata');
  const victimDir = join(spool, 'llvm', String(VICTIM.uid));
  const victimFiles = readdirSync(victimDir).map((f) => join(victimDir, f));
  await run(LLVM_PROFDATA, [
    'merge',
    '-o',
    naive,
    ...victimFiles,
    ...readdirSync(forgerDir).map((f) => join(forgerDir, f)),
  ]);
  const victimOnly = join(root, 'victim-only.profdata');
  await run(LLVM_PROFDATA, ['merge', '-o', victimOnly, ...victimFiles]);

  const daemon = CollectorDriver.start({ stateDir, packages: [pkg(clang, [VICTIM, FORGER], c)] });
  try {
    const answer = await daemon.pass();
    assert.deepEqual(answer.errors, []);
    checkMemory([answer]);
    const outcome = await outcomeOf(stateDir, clang.name, c);
    assert.equal(outcome.runs.get(VICTIM.uid), 10);
    assert.deepEqual(await clangCounts(outcome.contributorPath(VICTIM.uid)), scaled(clangOnce, 10));
    assert.ok(
      outcome.shares.get(FORGER.uid)! <= outcome.bound + 1e-9,
      `forger share ${outcome.shares.get(FORGER.uid)}`,
    );
    assert.equal(outcome.bound, 0.5, 'two contributors: the bound is 1/N, not c');
    const kept = (await profileOverlap(LLVM_PROFDATA, victimOnly, outcome.mergedPath))!;
    const drowned = (await profileOverlap(LLVM_PROFDATA, victimOnly, naive))!;
    assert.ok(kept >= 1 - outcome.bound - 1e-3, `overlap with the victim's data ${kept}`);
    assert.ok(drowned < 0.1, `a plain merge is drowned (${drowned})`);
    rows.push({
      name: "a trusted user's raw profile with one data record repeated 200 times (c = 0.2, N = 2)",
      attacker: 'forger (trusted)',
      counted: '10 of 10',
      bound: `${shareText(outcome, VICTIM.uid)}; overlap with the victim's data ${kept.toFixed(2)} ≥ 0.50 (a plain merge: ${drowned.toFixed(3)})`,
      status: 'shares as above',
    });
  } finally {
    await daemon.close();
  }
});

test("names taken first as directories (llvm/, gcda/ and bolt/ <victim>, and 6,000 more): the victim's runs are all counted", async () => {
  const { stateDir, spool } = caseDirs('squat-dirs');
  const bolt = await buildBoltExample(join(root, 'squat-dirs'), 'hbolt', join(spool, 'bolt'), {
    writerUid: VICTIM.uid,
  });
  // buildBoltExample made the victim's bolt directory, as the v2 writer would at the program's start: undone, so the
  // attacker can take the name first.
  rmSync(join(spool, 'bolt', String(VICTIM.uid)), { recursive: true });
  const squat = await as(
    ATTACKER,
    `cd ${spool} && for f in llvm gcda bolt; do mkdir -m 0777 $f/${VICTIM.uid}; done &&
     cd bolt && i=0; while [ $i -lt 6000 ]; do echo "x.$i.fdata"; i=$((i+1)); done | xargs mkdir`,
  );
  assert.ok(squat.ok, squat.stderr);
  // The victim's clang and gcc runs go to the fallback directories their writers make.
  const env = writerEnvironment(spool);
  await runAs(clang, VICTIM, env, 5);
  await runAs(gcc, VICTIM, env, 5);
  for (const fmt of ['llvm', 'gcda'])
    assert.ok(
      readdirSync(join(spool, fmt)).some((name) => new RegExp(`^${VICTIM.uid}\\.[A-Za-z0-9]{6}$`).test(name)),
      `${fmt}: the victim's fallback directory`,
    );
  const packages = [pkg(clang, [VICTIM]), pkg(gcc, [VICTIM]), pkg(bolt, [VICTIM])];
  const daemon = CollectorDriver.start({ stateDir, packages });
  try {
    const first = await daemon.pass();
    assert.deepEqual(first.errors, []);
    for (const fmt of ['llvm', 'gcda', 'bolt'])
      assert.ok(!existsSync(join(spool, fmt, String(VICTIM.uid))), `${fmt}: name freed`);
    assert.deepEqual(first.spool!.squats.map((s) => [s.dir.slice(spool.length), s.uid, s.by]).sort(), [
      ['/bolt', VICTIM.uid, ATTACKER.uid],
      ['/gcda', VICTIM.uid, ATTACKER.uid],
      ['/llvm', VICTIM.uid, ATTACKER.uid],
    ]);
    // BOLT's name is baked in (the v2 writer rewrites it at start): the victim's directory, free again.
    claimUserDir(join(spool, 'bolt'), VICTIM.uid);
    for (let i = 0; i < 5; i++) await run(bolt.exe, [], { user: VICTIM });
    const victimBolt = join(spool, 'bolt', String(VICTIM.uid));
    const expectedBolt = fdataFileCounts(victimBolt);
    const second = await daemon.pass();
    assert.deepEqual(second.errors, []);
    checkMemory([first, second]);
    for (const [example, once] of [
      [clang, clangOnce],
      [gcc, gccOnce],
    ] as const) {
      const outcome = await outcomeOf(stateDir, example.name, 0.5);
      assert.equal(outcome.runs.get(VICTIM.uid), 5, example.name);
      const counts =
        example === clang
          ? await clangCounts(outcome.contributorPath(VICTIM.uid))
          : gccCounts(outcome.contributorPath(VICTIM.uid));
      assert.deepEqual(counts, scaled(once, 5), example.name);
    }
    const boltOutcome = await outcomeOf(stateDir, bolt.name, 0.5);
    assert.equal(boltOutcome.runs.get(VICTIM.uid), 5);
    assert.deepEqual(boltCounts(boltOutcome.contributorPath(VICTIM.uid)), expectedBolt);
    assert.equal(first.spool!.leftAlone.files, 0);
    rows.push({
      name: "`<fmt>/<victim>` of all three formats taken as the attacker's directories, and 6,000 directories named like BOLT profiles in `bolt/`",
      attacker: 'attacker (untrusted)',
      counted: 'clang 5 of 5, gcc 5 of 5, BOLT 5 of 5',
      bound: 'victim alone: 100 %',
      status: statusText(first),
    });
  } finally {
    await daemon.close();
  }
});

test("root's names taken first by a file of another user: root's 5 runs all count as root's", async () => {
  const { stateDir, spool } = caseDirs('squat-files');
  const taken = await as(ATTACKER, `umask 0; : > ${spool}/llvm/0; chmod 0666 ${spool}/llvm/0`);
  assert.ok(taken.ok, taken.stderr);
  const env = writerEnvironment(spool);
  await runAs(clang, ROOT, env, 5);
  // And where root's directory exists, nobody else can create a name in it.
  claimUserDir(join(spool, 'gcda'), 0);
  const denied = await as(ATTACKER, `: > ${spool}/gcda/0/x.gcda`);
  assert.equal(denied.ok, false, 'a user directory is closed to other users');
  const daemon = CollectorDriver.start({ stateDir, packages: [pkg(clang, [ROOT])] });
  try {
    const answer = await daemon.pass();
    assert.deepEqual(answer.errors, []);
    checkMemory([answer]);
    const outcome = await outcomeOf(stateDir, clang.name, 0.5);
    assert.deepEqual([...outcome.runs], [[0, 5]]);
    assert.deepEqual(await clangCounts(outcome.contributorPath(0)), scaled(clangOnce, 5));
    assert.ok(!existsSync(join(spool, 'llvm', '0')), 'the squatting file is removed');
    rows.push({
      name: "`llvm/0` taken first as an empty 0666 file of another user (root's runs would have landed in the attacker's file)",
      attacker: 'attacker (untrusted)',
      counted: '5 of 5, credited to root',
      bound: 'root alone: 100 %',
      status: statusText(answer),
    });
  } finally {
    await daemon.close();
  }
});

test("a symlink where the victim's directory belongs: never followed, the target untouched, the runs counted", async () => {
  const { stateDir, spool } = caseDirs('squat-symlink');
  // A directory of the victim's own elsewhere, holding something named like a profile: the symlink's target.
  const elsewhere = join(root, 'squat-symlink', 'victim-home');
  mkdirSync(elsewhere, { mode: 0o700 });
  writeFileSync(join(elsewhere, '1-1.profraw'), "the victim's own file");
  chownSync(join(elsewhere, '1-1.profraw'), VICTIM.uid, VICTIM.gid);
  chownSync(elsewhere, VICTIM.uid, VICTIM.gid);
  const linked = await as(ATTACKER, `ln -s ${elsewhere} ${spool}/llvm/${VICTIM.uid}`);
  assert.ok(linked.ok, linked.stderr);
  await runAs(clang, VICTIM, writerEnvironment(spool), 5);
  const daemon = CollectorDriver.start({ stateDir, packages: [pkg(clang, [VICTIM])] });
  try {
    const answer = await daemon.pass();
    checkMemory([answer]);
    const outcome = await outcomeOf(stateDir, clang.name, 0.5);
    assert.deepEqual([...outcome.runs], [[VICTIM.uid, 5]]);
    assert.deepEqual(await clangCounts(outcome.contributorPath(VICTIM.uid)), scaled(clangOnce, 5));
    assert.equal(readFileSync(join(elsewhere, '1-1.profraw'), 'utf8'), "the victim's own file", 'target untouched');
    assert.ok(!existsSync(join(spool, 'llvm', String(VICTIM.uid))), 'the symlink is removed');
    rows.push({
      name: "`llvm/<victim>` taken first as a symlink to a directory of the victim's",
      attacker: 'attacker (untrusted)',
      counted: '5 of 5',
      bound: 'victim alone: 100 %',
      status: statusText(answer),
    });
  } finally {
    await daemon.close();
  }
});

test('a 250 MiB file of valid BOLT lines from an untrusted user is never read; a trusted 64 MiB one is streamed', async () => {
  const { stateDir, spool } = caseDirs('big-bolt');
  const bolt = await buildBoltExample(join(root, 'big-bolt'), 'hbigbolt', join(spool, 'bolt'), {
    writerUid: VICTIM.uid,
  });
  const buildId = (JSON.parse(readFileSync(bolt.manifestPath, 'utf8')) as { binaries: { inputBuildId: string }[] })
    .binaries[0]!.inputBuildId;
  const line = '1 main 0 1 main 1a 0 5'; // 23 bytes with its newline
  const fill = (user: User, mib: number) => {
    const dir = claimUserDir(join(spool, 'bolt'), user.uid);
    const lines = Math.floor((mib * 1024 * 1024) / (line.length + 1));
    return as(user, `yes '${line}' | head -n ${lines} > ${dir}/${buildId}.999999999.fdata`);
  };
  assert.ok((await fill(ATTACKER, 250)).ok);
  for (let i = 0; i < 3; i++) await run(bolt.exe, [], { user: VICTIM });
  const expected = fdataFileCounts(join(spool, 'bolt', String(VICTIM.uid)));
  const big = join(spool, 'bolt', String(ATTACKER.uid), `${buildId}.999999999.fdata`);
  const before = statSync(big);
  const daemon = CollectorDriver.start({ stateDir, packages: [pkg(bolt, [VICTIM, FORGER], 0.5)] });
  try {
    const first = await daemon.pass();
    assert.ok(first.passMs < 5000, `the pass with the untrusted file took ${first.passMs} ms`);
    assert.ok((await fill(FORGER, 64)).ok);
    const answer = await daemon.pass();
    assert.deepEqual([...first.errors, ...answer.errors], []);
    checkMemory([first, answer]);
    const outcome = await outcomeOf(stateDir, bolt.name, 0.5);
    assert.equal(outcome.runs.get(VICTIM.uid), 3);
    assert.deepEqual(boltCounts(outcome.contributorPath(VICTIM.uid)), expected);
    assert.ok(outcome.shares.get(FORGER.uid)! <= outcome.bound + 1e-9);
    assert.equal(answer.spool!.leftAlone.files, 1, 'the untrusted file is left alone');
    assert.equal(statSync(big).size, before.size);
    rows.push({
      name: 'a 250 MiB file of valid BOLT lines from an untrusted user, and a 64 MiB one from a trusted user',
      attacker: 'attacker (untrusted), forger (trusted)',
      counted: '3 of 3',
      bound: `${shareText(outcome, VICTIM.uid)}; the untrusted file is not opened (the pass takes under 5 s); the trusted one is read a chunk at a time`,
      status: statusText(answer),
    });
  } finally {
    await daemon.close();
  }
});

test('a sparse 100 GiB BOLT file named after pid 1 is not waited for and does not fill the spool', async () => {
  const { stateDir, spool } = caseDirs('sparse');
  const bolt = await buildBoltExample(join(root, 'sparse'), 'hsparse', join(spool, 'bolt'), { writerUid: VICTIM.uid });
  const buildId = (JSON.parse(readFileSync(bolt.manifestPath, 'utf8')) as { binaries: { inputBuildId: string }[] })
    .binaries[0]!.inputBuildId;
  for (const user of [ATTACKER, FORGER]) {
    const dir = claimUserDir(join(spool, 'bolt'), user.uid);
    assert.ok((await as(user, `truncate -s 100G ${dir}/${buildId}.1.fdata`)).ok);
  }
  for (let i = 0; i < 2; i++) await run(bolt.exe, [], { user: VICTIM });
  const daemon = CollectorDriver.start({ stateDir, packages: [pkg(bolt, [VICTIM, FORGER])] });
  try {
    const answer = await daemon.pass();
    checkMemory([answer]);
    assert.equal(answer.harvested.busy, 0, 'pid 1 is not the writer of a file another user owns');
    assert.equal(answer.status.spool.full, false, `spool at ${answer.status.spool.bytes} bytes on disk`);
    assert.ok(
      !existsSync(join(spool, 'bolt', String(FORGER.uid), `${buildId}.1.fdata`)),
      "the trusted user's is taken",
    );
    assert.equal(answer.quarantine['too-large'], 1);
    const outcome = await outcomeOf(stateDir, bolt.name, 0.5);
    assert.equal(outcome.runs.get(VICTIM.uid), 2);
    rows.push({
      name: 'a sparse 100 GiB BOLT profile named after pid 1, from a trusted and from an untrusted user',
      attacker: 'forger (trusted), attacker (untrusted)',
      counted: '2 of 2',
      bound: 'victim alone: 100 %',
      status: `${statusText(answer)}; spool not full (counts blocks on disk)`,
    });
  } finally {
    await daemon.close();
  }
});

test('a count above the int64 range from a trusted user is refused with its reason', async () => {
  const { stateDir, spool } = caseDirs('int64');
  await runAs(clang, VICTIM, writerEnvironment(spool), 4);
  const dir = claimUserDir(join(spool, 'llvm'), FORGER.uid);
  await runAs(clang, FORGER, writerEnvironment(spool), 1);
  const file = readdirSync(dir)
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
  const bytes = readFileSync(file);
  const parsed = parseRawProfile(bytes);
  assert.ok(parsed.ok);
  bytes.writeBigUInt64LE(1n << 63n, parsed.segments[0]!.countersOffset);
  writeFileSync(join(root, 'int64.profraw'), bytes);
  chmodSync(join(root, 'int64.profraw'), 0o644);
  assert.ok((await as(FORGER, `cat ${root}/int64.profraw > ${file}`)).ok);
  const daemon = CollectorDriver.start({ stateDir, packages: [pkg(clang, [VICTIM, FORGER])] });
  try {
    const answer = await daemon.pass();
    checkMemory([answer]);
    assert.equal(answer.quarantine.corrupt, 1);
    const outcome = await outcomeOf(stateDir, clang.name, 0.5);
    assert.equal(outcome.runs.get(VICTIM.uid), 4);
    assert.deepEqual(await clangCounts(outcome.contributorPath(VICTIM.uid)), scaled(clangOnce, 4));
    rows.push({
      name: 'a raw profile with a count of 2^63 from a trusted user',
      attacker: 'forger (trusted)',
      counted: '4 of 4',
      bound: shareText(outcome, VICTIM.uid),
      status: statusText(answer),
    });
  } finally {
    await daemon.close();
  }
});

test('a package removed and added back by a reload is harvested again, and its files meanwhile left alone', async () => {
  const { stateDir, spool } = caseDirs('reload');
  const env = writerEnvironment(spool);
  const settings = pkg(clang, [VICTIM]);
  const daemon = CollectorDriver.start({ stateDir, packages: [settings] });
  try {
    await runAs(clang, VICTIM, env, 3);
    const first = await daemon.pass();
    await daemon.configure(clang.name, null);
    await runAs(clang, VICTIM, env, 2);
    const removed = await daemon.pass();
    assert.equal(removed.spool!.leftAlone.files, 4, "an unmanaged package's files are left alone, not quarantined");
    assert.deepEqual(removed.quarantine, {});
    await daemon.configure(clang.name, settings);
    const back = await daemon.pass();
    checkMemory([first, removed, back]);
    const outcome = await outcomeOf(stateDir, clang.name, 0.5);
    assert.equal(outcome.runs.get(VICTIM.uid), 5);
    assert.deepEqual(await clangCounts(outcome.contributorPath(VICTIM.uid)), scaled(clangOnce, 5));
    rows.push({
      name: 'the package removed by a config reload, runs meanwhile, then added back',
      attacker: '(none: a reload)',
      counted: '5 of 5',
      bound: 'victim alone: 100 %',
      status: `while removed: ${statusText(removed)}`,
    });
  } finally {
    await daemon.close();
  }
});

test('what a user may leave in its own directory: refused with a reason, never read past a check, the victim untouched', async () => {
  const { stateDir, spool } = caseDirs('own-dir');
  await runAs(clang, VICTIM, writerEnvironment(spool), 3);
  const forgerDir = claimUserDir(join(spool, 'llvm'), FORGER.uid);
  const attackerDir = claimUserDir(join(spool, 'llvm'), ATTACKER.uid);
  await runAs(clang, FORGER, writerEnvironment(spool), 1);
  await runAs(clang, ATTACKER, writerEnvironment(spool), 1);
  const real = readdirSync(forgerDir).sort()[0]!;
  const secret = join(root, 'own-dir', 'secret');
  writeFileSync(secret, 'root only');
  chmodSync(secret, 0o600);
  const made = await as(
    FORGER,
    `cd ${forgerDir} && ln -s ${secret} 90-90.profraw && ln ${real} 91-91.profraw && mkfifo 92-92.profraw &&
     echo hello > notes.txt && head -c 100 ${real} > 93-93.profraw && head -c 200 /dev/zero | tr '\\0' x > 94-94.profraw`,
  );
  assert.ok(made.ok, made.stderr);
  const daemon = CollectorDriver.start({ stateDir, packages: [pkg(clang, [VICTIM, FORGER])] });
  try {
    const answer = await daemon.pass();
    checkMemory([answer]);
    assert.deepEqual(Object.keys(answer.quarantine).sort(), [
      'corrupt',
      'hard-link',
      'not-regular',
      'odd-name',
      'symlink',
      'truncated',
    ]);
    assert.equal(readFileSync(secret, 'utf8'), 'root only');
    assert.ok(readdirSync(attackerDir).length > 0, "the untrusted user's profiles are left where they are");
    const outcome = await outcomeOf(stateDir, clang.name, 0.5);
    assert.equal(outcome.runs.get(VICTIM.uid), 3);
    assert.deepEqual(await clangCounts(outcome.contributorPath(VICTIM.uid)), scaled(clangOnce, 3));
    assert.ok(!lstatSync(forgerDir).isSymbolicLink());
    rows.push({
      name: "in a user's own directory: a symlink to a root-only file, a hard link, a fifo, an odd name, a cut and a garbage profile; an untrusted user's good profiles",
      attacker: 'forger (trusted), attacker (untrusted)',
      counted: '3 of 3',
      bound: shareText(outcome, VICTIM.uid),
      status: statusText(answer),
    });
  } finally {
    await daemon.close();
  }
});

test("two daemons of two users on the default BOLT directory take only their own user's files", async () => {
  const dir = join(root, 'two-daemons');
  mkdirSync(dir);
  // The library's default directory, shared by everyone on the machine and made by root (as tmpfiles would).
  const shared = join(dir, 'nix-pgo', 'bolt');
  mkdirSync(shared, { recursive: true });
  chmodSync(shared, 0o1733);
  const A = { uid: 5301, gid: 5301 };
  const B = { uid: 5302, gid: 5302 };
  const boltA = await buildBoltExample(dir, 'hbolta', shared, { writerUid: A.uid });
  const boltB = await buildBoltExample(dir, 'hboltb', shared, { writerUid: B.uid });
  // A's daemon is the machine's (root), trusting both users; B's is B's own, running as B.
  const daemonA = CollectorDriver.start({
    stateDir: caseDirs('two-daemons/a').stateDir,
    packages: [pkg(boltA, [A, B])],
  });
  const daemonB = CollectorDriver.start(
    { stateDir: caseDirs('two-daemons/b', B).stateDir, packages: [pkg(boltB, [B])] },
    B,
  );
  try {
    const answers: PassAnswer[] = [];
    const runs = 15;
    for (let i = 0; i < runs; i++)
      await Promise.all([run(boltA.exe, [], { user: A }), run(boltB.exe, [], { user: B })]);
    // A's daemon passes first, while B's files are there: trusted user, but build ids it does not manage.
    const aFirst = await daemonA.pass();
    answers.push(aFirst);
    assert.equal(aFirst.spool!.leftAlone.files, 2 * runs, "B's files, one per instrumented file and run");
    // Then both at once, with runs going on.
    const more = Promise.all(
      Array.from({ length: 5 }, async () => {
        await Promise.all([run(boltA.exe, [], { user: A }), run(boltB.exe, [], { user: B })]);
      }),
    );
    answers.push(...(await Promise.all([daemonA.pass(), daemonB.pass()])));
    await more;
    answers.push(...(await Promise.all([daemonA.pass(), daemonB.pass()])));
    answers.push(...(await Promise.all([daemonA.pass(), daemonB.pass()])));
    checkMemory(answers);
    for (const a of answers) {
      assert.deepEqual(a.errors, []);
      assert.deepEqual(a.quarantine, {}, 'nothing of the other daemon is quarantined');
    }
    const outA = await outcomeOf(join(root, 'two-daemons/a', 'state'), boltA.name, 0.5);
    const outB = await outcomeOf(join(root, 'two-daemons/b', 'state'), boltB.name, 0.5);
    assert.deepEqual([...outA.runs], [[A.uid, runs + 5]]);
    assert.deepEqual([...outB.runs], [[B.uid, runs + 5]]);
    assert.deepEqual(readdirSync(join(shared, String(A.uid))), []);
    assert.deepEqual(readdirSync(join(shared, String(B.uid))), []);
    rows.push({
      name: "a second user's daemon (own state and config) on the same default BOLT directory as the machine's daemon, which trusts that user",
      attacker: 'a second daemon',
      counted: `A ${runs + 5} of ${runs + 5}, B ${runs + 5} of ${runs + 5}`,
      bound: 'each alone in its own profile',
      status: `the machine's daemon: ${statusText(aFirst)}`,
    });
  } finally {
    await Promise.all([daemonA.close(), daemonB.close()]);
  }
});

after(() => {
  if (rows.length < 9) return; // A case failed: its own failure says why.
  const table = [
    `The daemon's peak RSS stayed under ${RSS_LIMIT_MIB} MiB in every case.`,
    '',
    "| case | by | victim's runs counted | the bound | `status` says |",
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.name} | ${r.attacker} | ${r.counted} | ${r.bound} | ${r.status || '(nothing)'} |`),
  ].join('\n');
  const begin = '<!-- hostile-users: generated by test/hostile/hostile-users.int.test.ts -->';
  const end = '<!-- /hostile-users -->';
  const docs = readFileSync(DOCS, 'utf8');
  const start = docs.indexOf(begin);
  const stop = docs.indexOf(end);
  assert.ok(start >= 0 && stop > start, `docs/harvest.md has the markers ${begin} ... ${end}`);
  const updated = `${docs.slice(0, start + begin.length)}\n${table}\n${docs.slice(stop)}`;
  if (process.env.NIX_PGO_UPDATE_DOCS === '1') writeFileSync(DOCS, updated);
  else
    assert.equal(
      docs,
      updated,
      'the hostile-users table in docs/harvest.md is out of date: run with NIX_PGO_UPDATE_DOCS=1',
    );
});

/**
 * A raw profile whose coldest function without value sites gets the file's largest count on each of its
 * counters, and whose record is appended `times - 1` more times, each copy pointing at the same counters:
 * llvm-profdata adds those counters once per record.
 */
function repeatColdRecord(source: Buffer, times: number): Buffer {
  const raw = Buffer.from(source);
  const parsed = parseRawProfile(raw);
  assert.ok(parsed.ok && parsed.segments.length === 1);
  const seg = parsed.segments[0]!;
  const h = (i: number) => Number(raw.readBigUInt64LE(i * 8));
  const idsSize = h(2);
  const dataCount = h(3);
  const recordBytes = 48;
  const dataStart = 88 + idsSize;
  const countersDelta = raw.readBigInt64LE(64);
  const countersOf = (i: number) => {
    const at = dataStart + i * recordBytes;
    const first = Number(raw.readBigInt64LE(at + 16) - (countersDelta - BigInt(i * recordBytes))) / 8;
    return Array.from({ length: raw.readUInt32LE(at + 40) }, (_, c) => seg.countersOffset + (first + c) * 8);
  };
  let largest = 0n;
  for (let c = 0; c < seg.counters; c++) {
    const value = raw.readBigUInt64LE(seg.countersOffset + c * 8);
    if (value > largest) largest = value;
  }
  let best = -1;
  let bestSum = -1n;
  for (let i = 0; i < dataCount; i++) {
    const at = dataStart + i * recordBytes;
    if (raw.readUInt16LE(at + 44) !== 0 || raw.readUInt16LE(at + 46) !== 0) continue;
    const sum = countersOf(i).reduce((a, at2) => a + raw.readBigUInt64LE(at2), 0n);
    if (best < 0 || sum < bestSum) [best, bestSum] = [i, sum];
  }
  assert.ok(best >= 0);
  for (const at of countersOf(best)) raw.writeBigUInt64LE(largest * 20n, at);
  const record = raw.subarray(dataStart + best * recordBytes, dataStart + (best + 1) * recordBytes);
  const copies: Buffer[] = [];
  for (let k = dataCount; k < dataCount + times - 1; k++) {
    const copy = Buffer.from(record);
    // Relative to its own address: the same counters seen from k records further on.
    copy.writeBigInt64LE(record.readBigInt64LE(16) - BigInt((k - best) * recordBytes), 16);
    copies.push(copy);
  }
  const dataEnd = dataStart + dataCount * recordBytes;
  const header = Buffer.from(raw.subarray(0, 88));
  header.writeBigUInt64LE(BigInt(dataCount + times - 1), 24);
  // Counters are found by each record's pointer and CountersDelta, which the added records leave as they were.
  const out = Buffer.concat([header, raw.subarray(88, dataEnd), ...copies, raw.subarray(dataEnd)]);
  return out;
}
