// A trained package upgraded three ways under the real daemon, one after the other as a package
// set is updated: a new version with one changed function (minivm 1.1 changes step()), a flag
// added to the whole package set (-fno-strict-overflow, nixpkgs' strictoverflow hardening flag,
// which changes main's control flow), and a new compiler (clang 15 → 16, which changes step()'s
// hash). For each: the daemon notices by itself (its schedule; no command is run), builds the new
// derivation with the profile it had and switches to it before anything else (never to the
// instrumented build because of the upgrade), measures how much of the profile still applies
// (status, --json), refreshes in a bounded window because too little does, and the refreshed
// build executes, under callgrind, within 1 % of the instructions of a build from a fresh profile
// of the new derivation trained as the first one was.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { run, startBackground, type Background } from '../../src/process/run.js';
import type { PackageStatus } from '../../src/status/collect-status.js';
import { parseLockFile } from '../../src/store/lock-file.js';
import { cli, runInstrumented, status, waitFor, type TestSetup } from '../support/daemon.js';
import { makeTempDir, nixBuild, readManifest, repoRoot } from '../support/nix.js';

const fixture = join(repoRoot, 'test/fixtures/upgrade-packages.nix');
const programs = join(repoRoot, 'examples/pkgs/minivm/src/programs');

interface PackageArgs {
  version: '1.0' | '1.1';
  extraCFlags: string[];
  clangVersion: '15' | '16';
}

/** The training of the first profile, and of the fresh profiles the refreshed builds are compared with. */
const TRAINING: [string, string][] = [
  ['collatz.vm', '20000'],
  ['fib.vm', '20000'],
  ['sort.vm', '500'],
];
/** A refresh window: two short runs. */
const WINDOW: [string, string][] = [
  ['collatz.vm', '2000'],
  ['sort.vm', '50'],
];
/** A refresh window ends after this many counts: one round of WINDOW adds about 2.8 million. */
const REFRESH_COUNTS = 2e6;
/** What the instructions are counted on: a program the training never ran. */
const MEASURE = ['sieve.vm', '100000'];

interface SwitchEvent {
  type: string;
  variant?: string;
  storePath?: string;
}

describe('a trained package through three upgrades, under the daemon', { timeout: 1_200_000 }, () => {
  const dir = makeTempDir('upgrades');
  const salt = randomUUID();
  const nixFile = join(dir, 'packages.nix');
  const events = join(dir, 'events.jsonl');
  const stateDir = join(dir, 'state');
  const setup: TestSetup = {
    dir,
    configFile: join(dir, 'config.json'),
    stateDir,
    spoolDir: join(stateDir, 'spool'),
    nixFile,
  };
  const bin = join(stateDir, 'profile', 'bin', 'minivm');
  let daemon: Background;
  const numbers: Record<string, Record<string, number>> = {};

  const writePackages = (args: PackageArgs) =>
    writeFileSync(
      nixFile,
      `{ pgoProfiles ? { } }: import ${fixture} { inherit pgoProfiles; salt = "${salt}"; version = "${args.version}"; clangVersion = "${args.clangVersion}"; extraCFlags = ${JSON.stringify(args.extraCFlags).replaceAll(',', ' ')}; }\n`,
    );
  const minivm = async (): Promise<PackageStatus> => (await status(setup)).packages.find((p) => p.name === 'minivm')!;
  const switches = (): SwitchEvent[] =>
    existsSync(events)
      ? readFileSync(events, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as SwitchEvent)
          .filter((e) => e.type === 'switched')
      : [];
  /**
   * Rounds of runs until the package leaves `state`, as a user keeps using a program (how much data a
   * round adds depends on when the daemon harvests: runs of one binary share one file until then).
   */
  const trainWhile = async (state: string, runs: [string, string][]) => {
    for (let round = 0; (await minivm()).state === state; round++) {
      if (round > 60) throw new Error(`still ${state} after ${round} rounds of training`);
      for (const [program, arg] of runs) await runInstrumented(setup, bin, [join(programs, program), arg]);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  };

  /** Instructions one run of the measuring program executes with a build's minivm (callgrind's deterministic count). */
  const instructions = async (storePath: string): Promise<number> => {
    const { stderr } = await run('valgrind', [
      '--tool=callgrind',
      '--callgrind-out-file=/dev/null',
      join(storePath, 'bin/minivm'),
      join(programs, MEASURE[0]!),
      MEASURE[1]!,
    ]);
    return Number(/Collected\s*:\s*(\d+)/.exec(stderr)![1]);
  };

  /** The new derivation's optimized build from a fresh profile: its profiling build trained as the first one was. */
  const freshBuild = async (profiling: string, label: string): Promise<string> => {
    const slug = label.replace(/[^A-Za-z0-9]+/g, '-');
    const raw = join(dir, `raw-${slug}`);
    mkdirSync(raw, { recursive: true });
    for (let i = 0; i < 3; i++)
      for (const [program, arg] of TRAINING)
        await run(join(profiling, 'bin/minivm'), [join(programs, program), arg], {
          env: { ...process.env, LLVM_PROFILE_FILE: join(raw, '%p.profraw') },
        });
    const profile = join(dir, `fresh-${slug}.profdata`);
    const inputs = readdirSync(raw).map((f) => join(raw, f));
    await run(readManifest(profiling).mergeTool!, ['merge', '-o', profile, ...inputs]);
    return nixBuild(
      dir,
      [nixFile, '-A', 'minivm.pgo.optimized', '--arg', 'pgoProfiles', `{ minivm = ${profile}; }`],
      `fresh-${slug}`,
    );
  };

  before(async () => {
    writeFileSync(join(dir, 'hook.sh'), `#!/bin/sh\ncat >> ${events}\n`, { mode: 0o755 });
    writePackages({ version: '1.0', extraCFlags: [], clangVersion: '15' });
    writeFileSync(
      setup.configFile,
      JSON.stringify({
        stateDir,
        nixFile,
        notify: { hook: join(dir, 'hook.sh'), desktop: false },
        policy: {
          // A round of TRAINING adds about 48 million counts.
          thresholdCounts: 1e8,
          retry: { initialDelaySeconds: 1, maxDelaySeconds: 2 },
          // Checked every 1.2 s, so the test need not wait an hour; a refresh window of two short runs.
          upgrades: { checkMinutes: 0.02, refreshBelow: 0.9, refreshCounts: REFRESH_COUNTS },
        },
        packages: { minivm: {} },
      }),
    );
    daemon = startBackground(process.execPath, [cli, 'daemon', '--config', setup.configFile, '--tick-ms', '200']);
    await waitFor('the profiling variant', async () =>
      (await minivm()).activeVariant === 'profile' ? true : undefined,
    );
    await trainWhile('profiling', TRAINING).then(() => trainWhile('collecting', TRAINING));
    await waitFor('the first optimized build', async () => ((await minivm()).state === 'optimized' ? true : undefined));
  });

  after(async () => {
    daemon.kill('SIGTERM');
    await daemon.exited;
    writeFileSync(join(dir, 'daemon.log'), daemon.output());
    console.log(`numbers (instructions of ${MEASURE.join(' ')}):`, JSON.stringify(numbers, null, 2));
  });

  const upgradeAndRefresh = async (label: string, args: PackageArgs, lostFunction: string, version: string) => {
    const before = await minivm();
    assert.equal(before.state, 'optimized');
    const oldOptimized = before.activePath!;
    const seen = switches().length;
    writePackages(args);

    // Noticed by the daemon's schedule alone: the next state is reached without any command.
    const refreshing = await waitFor(`${label}: the refresh window`, async () => {
      const p = await minivm();
      return p.state === 'refreshing' ? p : undefined;
    });
    const since = switches().slice(seen);
    // The first switch after the upgrade is the new derivation's optimized build (the carry-over); the
    // instrumented one comes only with the refresh the measured match asked for.
    assert.deepEqual(
      since.map((e) => e.variant),
      ['optimized', 'profile'],
      `${label}: ${JSON.stringify(since)}`,
    );
    const carried = since[0]!.storePath!;
    assert.notEqual(carried, oldOptimized);
    const events = refreshing.history.map((h) => h.event);
    assert.deepEqual(events.slice(-4), ['upgraded', 'carried-over', 'measured', 'refresh-started'], label);
    assert.equal(refreshing.history.at(-3)!.version, version);

    // The match, exactly, in --json and in words.
    const match = refreshing.match!.result!;
    assert.ok(match.share < 0.9, `${label}: share ${match.share}`);
    assert.equal(match.lost[0]!.name, lostFunction, `${label}: ${JSON.stringify(match.lost)}`);
    assert.equal(match.matched, match.functions - 1, label);
    assert.equal(match.changed, 1, label);
    const { stdout: text } = await run(process.execPath, [cli, 'status', 'minivm', '--config', setup.configFile]);
    assert.match(
      text,
      new RegExp(
        `^ {2}match: {4}\\d+\\.\\d % of the profile's counts apply \\(${match.matched} of ${match.functions} functions; 1 changed, 0 gone\\)`,
        'm',
      ),
    );
    assert.match(text, new RegExp(`^ {2}lost: {5}${lostFunction.replaceAll('.', '\\.')} \\d+\\.\\d %$`, 'm'));
    assert.match(text, /^minivm: refreshing$/m);

    // The window: short runs of the instrumented build of the new derivation, until the daemon has enough.
    const profiling = refreshing.activePath!;
    await trainWhile('refreshing', WINDOW);
    const refreshed = await waitFor(`${label}: the refreshed build`, async () => {
      const p = await minivm();
      const measured = p.match?.optimizedPath === p.activePath;
      return p.state === 'optimized' &&
        p.history.some((h, i) => h.event === 'refreshed' && i >= events.length) &&
        measured
        ? p
        : undefined;
    });
    assert.deepEqual(
      switches()
        .slice(seen)
        .map((e) => e.variant),
      ['optimized', 'profile', 'optimized'],
    );
    assert.equal(refreshed.match?.result?.share, 1, label);
    assert.equal(refreshed.active?.version, version);
    assert.equal(refreshed.profileSource?.version, version);
    const lockFile = join(stateDir, 'pgo-lock.json');
    const lock = parseLockFile(readFileSync(lockFile, 'utf8'), lockFile).packages.minivm!;
    assert.equal(lock.storePath, refreshed.profileStorePath);
    assert.equal(lock.source?.version, version);
    assert.equal(lock.match?.share, 1);

    // As fast as a fresh profile of the new derivation (±1 % of instructions); the carry-over alone was not always.
    const fresh = await freshBuild(profiling, label);
    numbers[label] = {
      oldOptimized: await instructions(oldOptimized),
      carriedOver: await instructions(carried),
      refreshed: await instructions(refreshed.activePath!),
      fresh: await instructions(fresh),
      share: match.share,
    };
    const n = numbers[label]!;
    assert.ok(Math.abs(n.refreshed! / n.fresh! - 1) <= 0.01, `${label}: ${JSON.stringify(n)}`);
  };

  it('a new version with one changed function', async () => {
    await upgradeAndRefresh(
      'version 1.1',
      { version: '1.1', extraCFlags: [], clangVersion: '15' },
      'minivm.c:step',
      '1.1',
    );
  });

  it('a flag added to the whole package set', async () => {
    await upgradeAndRefresh(
      'package-set flag',
      { version: '1.1', extraCFlags: ['-fno-strict-overflow'], clangVersion: '15' },
      'main',
      '1.1',
    );
    // main's counts decide that step() is inlined into the loop: without them the build runs about as plain.
    const n = numbers['package-set flag']!;
    assert.ok(n.carriedOver! > 1.5 * n.fresh!, JSON.stringify(n));
  });

  it('a new compiler (clang 15 → 16)', async () => {
    await upgradeAndRefresh(
      'compiler',
      { version: '1.1', extraCFlags: ['-fno-strict-overflow'], clangVersion: '16' },
      'minivm.c:step',
      '1.1',
    );
  });
});
