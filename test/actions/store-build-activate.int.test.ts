// Store, build and switch on real Nix: a merged profile becomes a rooted,
// content-addressed store path named by the lock file; the optimized variant
// is built from it and switched into a Nix profile; rollback goes back.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { run } from '../../src/process/run.js';
import { planBuild, type BuildTarget } from '../../src/variants/plan-build.js';
import { runBuild } from '../../src/variants/run-build.js';
import { lockProfile, storeProfile } from '../../src/store/store-profile.js';
import { parseLockFile } from '../../src/store/lock-file.js';
import { rollbackProfile, switchProfile, profileContents } from '../../src/activate/switch-profile.js';
import { examples, makeTempDir, readManifest, repoRoot, runProgram } from '../support/nix.js';

const work = makeTempDir('sba');
const target: BuildTarget = { name: 'calc', nixFile: examples, attr: 'calc', profileArg: 'pgoProfiles', bolt: null };
const logDir = join(work, 'logs');
const lockFile = join(work, 'pgo-lock.json');
const timeoutMs = 600_000;

describe('store, build, switch, rollback', () => {
  let profiling: string;
  let merged: string;

  before(async () => {
    const built = await runBuild(planBuild(target, 'profile', { logDir, timeoutMs, now: new Date() }));
    assert.ok(built.ok, built.ok ? '' : built.logTail);
    profiling = built.storePath;
    const raw = join(work, 'raw');
    await runProgram(join(profiling, 'bin/calc'), ['2'], {
      env: { ...process.env, LLVM_PROFILE_FILE: join(raw, '%m.profraw') },
    });
    merged = join(work, 'merged.profdata');
    await run(readManifest(profiling).mergeTool!, [
      'merge',
      '-o',
      merged,
      ...readdirSync(raw).map((f) => join(raw, f)),
    ]);
  });

  it('stores the merged profile content-addressed, rooted, and locked so a pure evaluation names it again', async () => {
    const entry = await storeProfile({
      name: 'calc',
      mergedPath: merged,
      generation: 3,
      gcRootDir: join(work, 'gcroots'),
      workDir: join(work, 'staging'),
    });
    lockProfile(lockFile, 'calc', entry);
    assert.match(entry.storePath, /^\/nix\/store\/[a-z0-9]{32}-pgo-calc\.profdata$/);
    assert.deepEqual(readFileSync(entry.storePath), readFileSync(merged));
    assert.equal(realpathSync(join(work, 'gcroots', 'calc-profile-3')), entry.storePath);
    const lock = parseLockFile(readFileSync(lockFile, 'utf8'), lockFile);
    assert.deepEqual(lock.packages.calc, entry);
    // The system the daemon's evaluation uses, so a pure one can make the same derivation.
    assert.equal(
      entry.system,
      JSON.parse((await run('nix-instantiate', ['--eval', '--json', '--expr', 'builtins.currentSystem'])).stdout),
    );
    const { stdout } = await run('nix-instantiate', [
      '--eval',
      '--expr',
      `(import ${repoRoot}/nix/lock.nix { lockFile = ${lockFile}; }).calc.outPath`,
    ]);
    assert.equal(JSON.parse(stdout.trim()), entry.storePath);
  });

  it('stores a gcda directory with its NAR hash', async () => {
    const tree = join(work, 'tree');
    mkdirSync(tree);
    writeFileSync(join(tree, 'source#x.gcda'), 'adcg-fake-but-stored');
    const entry = await storeProfile({
      name: 'wordfreq',
      mergedPath: tree,
      generation: 1,
      gcRootDir: join(work, 'gcroots'),
      workDir: join(work, 'staging'),
    });
    lockProfile(lockFile, 'wordfreq', entry);
    assert.equal(entry.hashMode, 'recursive');
    const { stdout } = await run('nix-instantiate', [
      '--eval',
      '--expr',
      `(import ${repoRoot}/nix/lock.nix { lockFile = ${lockFile}; }).wordfreq.outPath`,
    ]);
    assert.equal(JSON.parse(stdout.trim()), entry.storePath);
    // The first entry is still there: writing one package keeps the others.
    assert.ok(parseLockFile(readFileSync(lockFile, 'utf8'), lockFile).packages.calc);
  });

  it('builds the optimized variant from the locked profile, switches, and rolls back', async () => {
    const lock = parseLockFile(readFileSync(lockFile, 'utf8'), lockFile);
    const plan = planBuild(target, 'optimized', { profile: lock.packages.calc!, logDir, timeoutMs, now: new Date() });
    const built = await runBuild(plan);
    assert.ok(built.ok, built.ok ? '' : built.logTail);
    assert.ok(existsSync(built.logFile));
    assert.equal(readManifest(built.storePath).profile, lock.packages.calc!.storePath);

    const profile = join(work, 'profile');
    const first = await switchProfile(profile, { calc: profiling });
    const second = await switchProfile(profile, { calc: built.storePath });
    assert.equal(second, first + 1);
    assert.equal(realpathSync(join(profile, 'bin/calc')), join(built.storePath, 'bin/calc'));
    assert.deepEqual(await profileContents(profile), [built.storePath]);
    assert.equal(await runProgram(join(profile, 'bin/calc'), ['1', 'primes']), 'primes 9592\n');

    assert.equal(await rollbackProfile(profile), first);
    assert.equal(realpathSync(join(profile, 'bin/calc')), join(profiling, 'bin/calc'));
    assert.ok(readlinkSync(profile).includes(`-${first}-link`));
  });

  it('a failed build reports the tail of its log and keeps the whole log', async () => {
    const bad = join(work, 'bad.profdata');
    writeFileSync(bad, 'not a profile');
    const badStorePath = (await run('nix-store', ['--add-fixed', 'sha256', bad])).stdout.trim();
    const hash = `sha256:${createHash('sha256').update('not a profile').digest('hex')}`;
    const plan = planBuild(target, 'optimized', {
      profile: { storePath: badStorePath, hashMode: 'flat', hash },
      logDir,
      timeoutMs,
      now: new Date(),
    });
    const outcome = await runBuild(plan);
    assert.equal(outcome.ok, false);
    if (outcome.ok) return;
    assert.match(outcome.logTail, /nix-pgo: the profile for calc 1\.0 is not an LLVM indexed profile/);
    assert.match(readFileSync(outcome.logFile, 'utf8'), /running pgoPreparePhase/);
  });
});
