// The whole loop on real Nix, through the real CLI and daemon processes:
// profiling variant active → instrumented runs → harvest, merge, store, build,
// switch → optimized active; rollback; reproducible from the lock file; a
// failing build keeps the profiling variant; a restart mid-build switches once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  realpathSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { run, startBackground } from '../../src/process/run.js';
import { substituterOptions } from '../../src/tools/nix-common.js';
import { listGenerations } from '../../src/tools/nix-env.js';
import { parseLockFile } from '../../src/store/lock-file.js';
import { makeTempDir, readManifest, repoRoot, runProgram } from '../support/nix.js';
import {
  cli,
  cliJson,
  runInstrumented,
  startDaemon,
  status,
  stopDaemon,
  waitFor,
  writeConfig,
  type TestSetup,
} from '../support/daemon.js';

const offline = substituterOptions(false);

/** Removes a store path and everything that refers to it, after dropping the test's own roots to it. */
async function rebuildFromScratch(setup: TestSetup, storePath: string): Promise<void> {
  for (const link of readdirSync(setup.stateDir).filter((f) => f === 'profile' || /^profile-\d+-link$/.test(f)))
    rmSync(join(setup.stateDir, link), { force: true });
  const referrers = (await run('nix-store', ['--query', '--referrers-closure', storePath])).stdout.trim().split('\n');
  await run('nix-store', ['--delete', ...referrers]);
  assert.equal(existsSync(storePath), false);
}

function packageStatus(setup: TestSetup, name: string) {
  return status(setup).then((s) => s.packages.find((p) => p.name === name)!);
}

async function waitForState(setup: TestSetup, name: string, state: string, timeoutMs?: number) {
  return waitFor(
    `${name} to be ${state}`,
    async () => {
      const p = await packageStatus(setup, name);
      return p.state === state ? p : undefined;
    },
    timeoutMs,
  );
}

describe('daemon end to end', () => {
  it('profiles, optimizes, switches, rolls back, and the lock file reproduces the build bit for bit', async () => {
    const dir = makeTempDir('e2e');
    // The hook appends every event it gets on stdin to a file.
    const hook = join(dir, 'hook.sh');
    const events = join(dir, 'events.jsonl');
    writeFileSync(hook, `#!/bin/sh\ncat >> ${events}\n`, { mode: 0o755 });
    const setup = writeConfig(dir, ['calc'], { thresholdCounts: 1e6, minRuns: 0 }, { notify: { hook } });
    const daemon = startDaemon(setup);
    try {
      const profiling = await waitFor('the profiling variant to be active', async () => {
        const p = await packageStatus(setup, 'calc');
        return p.activeVariant === 'profile' ? p : undefined;
      });
      const profileBin = join(setup.stateDir, 'profile', 'bin', 'calc');
      assert.equal(realpathSync(profileBin), join(profiling.activePath!, 'bin/calc'));
      assert.equal(readManifest(profiling.activePath!).kind, 'profile');

      // Instrumented runs, spread out so the daemon harvests more than once.
      for (let i = 0; i < 3; i++) {
        await runInstrumented(setup, profileBin, ['1']);
        await new Promise((r) => setTimeout(r, 300));
      }
      const optimized = await waitForState(setup, 'calc', 'optimized');
      assert.equal(optimized.activeVariant, 'optimized');
      assert.ok(optimized.mergeGeneration >= 1);
      assert.equal(realpathSync(profileBin), join(optimized.activePath!, 'bin/calc'));
      const manifest = readManifest(optimized.activePath!);
      assert.equal(manifest.kind, 'optimized');
      assert.equal(manifest.profile, optimized.profileStorePath);
      assert.equal(
        await runProgram(profileBin, ['2']),
        await runProgram(join(profiling.activePath!, 'bin/calc'), ['2']),
      );
      const told = readFileSync(events, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; variant?: string; storePath?: string });
      assert.deepEqual(
        told.filter((e) => e.type === 'switched').map((e) => [e.variant, e.storePath]),
        [
          ['profile', profiling.activePath],
          ['optimized', optimized.activePath],
        ],
      );

      // The lock file names the profile; a fresh evaluation with it is the same derivation.
      const lockFile = join(setup.stateDir, 'pgo-lock.json');
      const lock = parseLockFile(readFileSync(lockFile, 'utf8'), lockFile);
      assert.equal(lock.packages.calc!.storePath, optimized.profileStorePath);
      const profilesExpr = `import ${repoRoot}/nix/lock.nix { lockFile = ${lockFile}; }`;
      const rebuilt = await run('nix-build', [
        ...offline,
        '--no-out-link',
        setup.nixFile,
        '-A',
        'calc.pgo.optimized',
        '--arg',
        'pgoProfiles',
        profilesExpr,
      ]);
      assert.equal(rebuilt.stdout.trim(), optimized.activePath);
    } finally {
      assert.equal(await stopDaemon(daemon), 0, daemon.output());
    }

    // Rollback of the package: back to the profiling variant, held there, and out of the lock file,
    // so the next rebuild from the lock (nixos-rebuild) does not bring the optimized variant back.
    const lockFile = join(setup.stateDir, 'pgo-lock.json');
    const locked = () => parseLockFile(readFileSync(lockFile, 'utf8'), lockFile).packages;
    const systemOfNix = JSON.parse(
      (await run('nix-instantiate', ['--eval', '--json', '-E', 'builtins.currentSystem'])).stdout,
    ) as string;
    assert.equal(locked().calc!.system, systemOfNix, 'the lock entry names the system the daemon evaluated for');
    const before = await packageStatus(setup, 'calc');
    const rolled = await cliJson<{
      generation: number;
      packages: { name: string; variant: string; storePath: string; lock: string }[];
    }>(['rollback', 'calc', '--config', setup.configFile]);
    assert.deepEqual(
      rolled.packages.map((p) => [p.name, p.variant, p.lock]),
      [['calc', 'profile', 'unlocked']],
    );
    assert.equal(locked().calc, undefined);
    assert.ok(existsSync(before.profileStorePath!), 'the profile stays in the store');
    const after = await packageStatus(setup, 'calc');
    assert.equal(after.activeVariant, 'profile');
    assert.equal(after.held, true);
    assert.equal(realpathSync(join(setup.stateDir, 'profile', 'bin', 'calc')).includes(before.activePath!), false);
    assert.equal(readManifest(after.activePath!).kind, 'profile');

    // And forward again by hand: locked again with the profile it was built with.
    const switched = await cliJson<{ variant: string; storePath: string; lock: string }>([
      'switch',
      'calc',
      '--config',
      setup.configFile,
    ]);
    assert.equal(switched.storePath, before.activePath);
    assert.equal(switched.lock, 'locked');
    assert.equal(locked().calc!.storePath, before.profileStorePath);
    assert.equal(locked().calc!.system, systemOfNix);

    // The whole profile back one generation (to the profiling variant): out of the lock; once more (to the optimized one): in again.
    const wholeBack = await cliJson<{ packages: { name: string; variant: string; lock: string }[] }>([
      'rollback',
      '--config',
      setup.configFile,
    ]);
    assert.deepEqual(
      wholeBack.packages.map((p) => [p.name, p.variant, p.lock]),
      [['calc', 'profile', 'unlocked']],
    );
    assert.equal(locked().calc, undefined);
    const wholeBackAgain = await cliJson<{ packages: { name: string; variant: string; lock: string }[] }>([
      'rollback',
      '--config',
      setup.configFile,
    ]);
    assert.deepEqual(
      wholeBackAgain.packages.map((p) => [p.name, p.variant, p.lock]),
      [['calc', 'optimized', 'locked']],
    );
    assert.equal(locked().calc!.storePath, before.profileStorePath);

    // Bit for bit: delete the optimized output and build it again from the lock file alone.
    // (`nix-build --check` cannot tell: without a sandbox it builds into another path, which changes the build ID.)
    const optimized = await packageStatus(setup, 'calc');
    const saved = join(setup.dir, 'saved-output');
    cpSync(optimized.activePath!, saved, { recursive: true });
    await rebuildFromScratch(setup, optimized.activePath!);
    const again = await run('nix-build', [
      ...offline,
      '--no-out-link',
      setup.nixFile,
      '-A',
      'calc.pgo.optimized',
      '--arg',
      'pgoProfiles',
      `import ${repoRoot}/nix/lock.nix { lockFile = ${lockFile}; }`,
    ]);
    assert.equal(again.stdout.trim(), optimized.activePath);
    for (const file of ['bin/calc', 'lib/libcalc.so', 'nix-support/pgo.json']) {
      assert.deepEqual(
        readFileSync(join(optimized.activePath!, file)),
        readFileSync(join(saved, file)),
        `${file} is the same bit for bit`,
      );
    }
  });

  it('a failing optimized build keeps the profiling variant active and is reported with its log', async () => {
    const setup = writeConfig(makeTempDir('e2e-fail'), ['failing']);
    const daemon = startDaemon(setup);
    try {
      const profiling = await waitFor('profiling', async () => {
        const p = await packageStatus(setup, 'failing');
        return p.activeVariant === 'profile' ? p : undefined;
      });
      await runInstrumented(setup, join(setup.stateDir, 'profile', 'bin', 'calc'), ['1']);
      const failed = await waitFor('a failed build', async () => {
        const p = await packageStatus(setup, 'failing');
        return p.lastBuild?.variant === 'optimized' && !p.lastBuild.ok ? p : undefined;
      });
      assert.equal(failed.activeVariant, 'profile');
      assert.equal(failed.activePath, profiling.activePath);
      assert.ok(failed.failures >= 1);
      assert.ok(failed.nextRetryAt);
      assert.match(failed.lastBuild!.logTail!, /this optimized build fails on purpose/);
      assert.ok(existsSync(failed.lastBuild!.logFile));
      assert.equal(
        realpathSync(join(setup.stateDir, 'profile', 'bin', 'calc')),
        join(profiling.activePath!, 'bin/calc'),
      );
      const text = (await run(process.execPath, [cli, 'status', 'failing', '--config', setup.configFile])).stdout;
      assert.match(text, /optimized FAILED/);
      assert.match(text, /this optimized build fails on purpose/);
    } finally {
      assert.equal(await stopDaemon(daemon), 0, daemon.output());
    }
  });

  it('under onReady "notify" it tells the hook once that a package is ready, and builds nothing until asked', async () => {
    const dir = makeTempDir('e2e-notify');
    const hook = join(dir, 'hook.sh');
    const events = join(dir, 'events.jsonl');
    writeFileSync(hook, `#!/bin/sh\ncat >> ${events}\n`, { mode: 0o755 });
    const setup = writeConfig(
      dir,
      ['calc'],
      { thresholdCounts: 1e6, minRuns: 0, onReady: 'notify' },
      { notify: { hook } },
    );
    const daemon = startDaemon(setup);
    try {
      await waitFor('the profiling variant', async () =>
        (await packageStatus(setup, 'calc')).activeVariant === 'profile' ? true : undefined,
      );
      const profileBin = join(setup.stateDir, 'profile', 'bin', 'calc');
      // One run writes less than the threshold.
      for (let i = 0; i < 2; i++) await runInstrumented(setup, profileBin, ['1']);
      const ready = await waitForState(setup, 'calc', 'ready');
      // More data and more ticks while ready: still one event, still no build.
      await new Promise((r) => setTimeout(r, 1000));
      await runInstrumented(setup, profileBin, ['1']);
      await waitFor('the second merge', async () =>
        (await packageStatus(setup, 'calc')).mergeGeneration > ready.mergeGeneration ? true : undefined,
      );
      await new Promise((r) => setTimeout(r, 1000));
      const told = readFileSync(events, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; package?: string; reason?: string; variant?: string });
      const readyEvents = told.filter((e) => e.type === 'ready');
      assert.equal(readyEvents.length, 1, JSON.stringify(told));
      assert.equal(readyEvents[0]!.package, 'calc');
      assert.match(readyEvents[0]!.reason!, /counts/);
      assert.deepEqual(
        told.filter((e) => e.type === 'switched').map((e) => e.variant),
        ['profile'],
      );
      const now = await packageStatus(setup, 'calc');
      assert.equal(now.state, 'ready');
      assert.equal(now.activeVariant, 'profile');
      assert.equal(now.lastBuild!.variant, 'profile');
      assert.match(daemon.output(), /"event":"ready".*"package":"calc"/);
    } finally {
      assert.equal(await stopDaemon(daemon), 0, daemon.output());
    }
  });

  it('two managed packages that ship the same program share the profile: the one whose name sorts first provides it, and status and doctor say so', async () => {
    // calcTwin is another build of calc: both ship bin/calc.
    const setup = writeConfig(makeTempDir('e2e-collision'), ['calcTwin', 'calc'], { thresholdCounts: 1e12 });
    const daemon = startDaemon(setup);
    try {
      const [calc, twin] = await waitFor(
        'both profiling variants in the profile',
        async () => {
          const s = await status(setup);
          const both = ['calc', 'calcTwin'].map((name) => s.packages.find((p) => p.name === name)!);
          return both.every((p) => p.activeVariant === 'profile') ? both : undefined;
        },
        180_000,
      );
      assert.notEqual(calc!.activePath, twin!.activePath);
      assert.equal(twin!.failures, 0);
      const profile = join(setup.stateDir, 'profile');
      assert.deepEqual(
        (await run('nix-env', ['-p', profile, '--query', '--out-path'])).stdout
          .trim()
          .split('\n')
          .map((l) => l.split(/\s+/)),
        [
          ['calc', calc!.activePath],
          ['calcTwin', twin!.activePath],
        ],
      );
      assert.equal(realpathSync(join(profile, 'bin', 'calc')), join(calc!.activePath!, 'bin/calc'));
      // status and doctor say so, and which one the profile runs.
      assert.deepEqual((await status(setup)).collisions, [
        { file: 'bin/calc', packages: ['calc', 'calcTwin'], winner: 'calc', from: 'profile' },
      ]);
      const text = (await run(process.execPath, [cli, 'status', '--config', setup.configFile])).stdout;
      assert.match(text, /calcTwin: .*\n(.*\n)* {2}collides: bin\/calc with calc: the Nix profile runs calc's\n/);
      const doctor = startBackground(process.execPath, [cli, 'doctor', '--config', setup.configFile]);
      assert.equal(await doctor.exited, 1, doctor.output());
      assert.match(
        doctor.output(),
        /FAIL profile collisions: bin\/calc is in calc and calcTwin; the Nix profile runs calc's/,
      );
    } finally {
      assert.equal(await stopDaemon(daemon), 0, daemon.output());
    }
  });

  it('a daemon killed in the middle of a build restarts without a double switch or lost state', async () => {
    const setup = writeConfig(makeTempDir('e2e-restart'), ['slow']);
    let daemon = startDaemon(setup);
    const profileBin = join(setup.stateDir, 'profile', 'bin', 'calc');
    await waitFor('profiling', async () =>
      (await packageStatus(setup, 'slow')).activeVariant === 'profile' ? true : undefined,
    );
    await runInstrumented(setup, profileBin, ['1']);
    const building = await waitForState(setup, 'slow', 'building');
    daemon.kill('SIGKILL');
    await daemon.exited;

    daemon = startDaemon(setup);
    try {
      const optimized = await waitForState(setup, 'slow', 'optimized');
      assert.equal(optimized.mergeGeneration, building.mergeGeneration);
      const generations = await listGenerations(join(setup.stateDir, 'profile'));
      // Generation 1: profiling variant; generation 2: the optimized one, exactly once.
      assert.deepEqual(
        generations.map((g) => g.number),
        [1, 2],
      );
      assert.ok(readlinkSync(join(setup.stateDir, 'profile')).endsWith('-2-link'));
      assert.equal(readManifest(optimized.activePath!).kind, 'optimized');
    } finally {
      assert.equal(await stopDaemon(daemon), 0, daemon.output());
    }
  });

  it('a bad config lists every problem at once and starts nothing', async () => {
    const setup = writeConfig(
      makeTempDir('e2e-bad'),
      ['calc'],
      { thresholdMB: -1, onReady: 'sometimes' },
      { packagez: {} },
    );
    const daemon = startDaemon(setup);
    const code = await daemon.exited;
    assert.equal(code, 65);
    assert.match(daemon.output(), /thresholdMB/);
    assert.match(daemon.output(), /onReady/);
    assert.match(daemon.output(), /packagez/);
    assert.equal(existsSync(setup.stateDir), false);
  });
});
