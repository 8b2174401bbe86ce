// Continuous collection (enableWith { collection = "continuous"; }) on real
// builds of examples/pkgs/ticker, a long-running program with a shared library:
// each module switches itself to a live, memory-mapped profile file in the
// user's own directory of the spool (or next to LLVM_PROFILE_FILE), which grows
// while the program runs, holds every count after SIGKILL, and merges into a
// profile the optimized build takes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/process/run.js';
import { buildExample, makeTempDir, nixBuildWithLog, readManifest, repoRoot, runProgram } from '../support/nix.js';
import { prepareSpool } from '../support/spool-fixture.js';

const work = makeTempDir('continuous');

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a program in the background, collecting its output. */
function start(file: string, args: string[], env: NodeJS.ProcessEnv): Running {
  const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function liveFiles(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.startsWith('live-'))
        .sort()
    : [];
}

let snapshotCount = 0;

/** A copy of a live file, as a harvester would take it (never the file itself). */
function snapshot(file: string): string {
  const copy = join(work, `snapshot-${snapshotCount++}.profraw`);
  copyFileSync(file, copy);
  return copy;
}

/** The counters of ticker_unit in a profile. */
async function tickerUnitCounts(mergeTool: string, profile: string): Promise<number[]> {
  const { stdout } = await run(mergeTool, ['show', '--counts', '--function=ticker_unit', profile]);
  const match = /Block counts: \[([0-9, ]*)\]/.exec(stdout);
  assert.ok(match, `ticker_unit in ${profile}: ${stdout}`);
  return match[1]!.split(',').map((n) => Number(n.trim()));
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** Is a flock held on the file? The startup object holds a shared one while the program lives. */
async function flockBusy(file: string): Promise<boolean> {
  try {
    await run('flock', ['--nonblock', '--exclusive', file, 'true']);
    return false;
  } catch {
    return true;
  }
}

describe('continuous collection (tickerLive)', () => {
  let profiling: string;
  let mergeTool: string;
  const running: Running[] = [];

  before(async () => {
    profiling = await buildExample(work, 'tickerLive.pgo.profile');
    mergeTool = readManifest(profiling).mergeTool!;
  });

  after(() => {
    for (const r of running) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  });

  it('the manifest records continuous collection and lists the program and its library', () => {
    const manifest = readManifest(profiling) as ReturnType<typeof readManifest> & { collection?: string };
    assert.equal(manifest.collection, 'continuous');
    assert.deepEqual(
      manifest.binaries.map((b) => b.path),
      ['bin/ticker', 'lib/libticker.so'],
    );
  });

  it('a live file per module appears next to LLVM_PROFILE_FILE, grows while it runs, and keeps every count after SIGKILL', async () => {
    const dir = join(work, 'spool-kill', 'llvm');
    const env: NodeJS.ProcessEnv = { ...process.env, LLVM_PROFILE_FILE: join(dir, '%p-%m.profraw') };
    delete env.NIX_PGO_COLLECTION;
    const ticker = start(join(profiling, 'bin/ticker'), ['-n', '0', '-d', '5'], env);
    running.push(ticker);
    const pid = ticker.child.pid!;
    const files = await waitFor('two live files', () => (liveFiles(dir).length === 2 ? liveFiles(dir) : undefined));
    for (const f of files) assert.match(f, new RegExp(`^live-${pid}-[0-9]+_0\\.profraw$`));
    assert.deepEqual(readdirSync(dir).sort(), files, 'nothing but the live files: no exit-mode file');
    // The library's file is the one with ticker_unit.
    let libFile: string | undefined;
    for (const f of files) {
      const { stdout } = await run(mergeTool, ['show', '--all-functions', snapshot(join(dir, f))]);
      if (stdout.includes('ticker_unit')) libFile = join(dir, f);
    }
    assert.ok(libFile, 'a live file of libticker.so');
    assert.ok(await flockBusy(libFile), 'the program holds a shared flock on its live file');

    await waitFor('some units', () => (ticker.stdout().split('\n').length > 20 ? true : undefined));
    const first = snapshot(libFile);
    await sleep(400);
    const second = snapshot(libFile);
    // Copies of a live file are valid raw profiles, and the counters only grow.
    await run(mergeTool, ['merge', '-o', join(work, 'copies.profdata'), first, second]);
    const a = await tickerUnitCounts(mergeTool, first);
    const b = await tickerUnitCounts(mergeTool, second);
    assert.ok(sum(b) > sum(a), `grew: ${a} -> ${b}`);
    for (const [i, value] of a.entries()) assert.ok(b[i]! >= value, `counter ${i} never goes down`);

    ticker.child.kill('SIGKILL');
    const { signal } = await ticker.exited;
    assert.equal(signal, 'SIGKILL');
    const units = ticker
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('tick ')).length;
    const killed = await tickerUnitCounts(mergeTool, snapshot(libFile));
    assert.ok(
      killed.includes(units) || killed.includes(units + 1),
      `${units} units printed, ticker_unit counters ${killed}`,
    );
    assert.equal(ticker.stderr(), '', 'no LLVM Profile Error or Note');
    assert.equal(await flockBusy(libFile), false, 'the flock goes with the process');
  });

  it('a normal exit prints nothing and leaves the same counts as collection at exit', async () => {
    const liveDir = join(work, 'spool-exit', 'llvm');
    const live = await run(join(profiling, 'bin/ticker'), ['-n', '300'], {
      env: { ...process.env, LLVM_PROFILE_FILE: join(liveDir, '%p-%m.profraw') },
    });
    assert.equal(live.stderr, '');
    const exitBuild = await buildExample(work, 'ticker.pgo.profile');
    assert.equal((readManifest(exitBuild) as { collection?: string }).collection, 'exit');
    const exitDir = join(work, 'spool-exit-mode', 'llvm');
    const plain = await run(join(exitBuild, 'bin/ticker'), ['-n', '300'], {
      env: { ...process.env, LLVM_PROFILE_FILE: join(exitDir, '%p-%m.profraw') },
    });
    assert.equal(plain.stdout, live.stdout);
    assert.equal(liveFiles(exitDir).length, 0, 'the exit-mode build writes ordinary files');
    const liveMerged = join(work, 'live-300.profdata');
    const exitMerged = join(work, 'exit-300.profdata');
    await run(mergeTool, ['merge', '-o', liveMerged, ...liveFiles(liveDir).map((f) => join(liveDir, f))]);
    await run(mergeTool, ['merge', '-o', exitMerged, ...readdirSync(exitDir).map((f) => join(exitDir, f))]);
    assert.deepEqual(await tickerUnitCounts(mergeTool, liveMerged), await tickerUnitCounts(mergeTool, exitMerged));
  });

  it("with NIX_PGO_SPOOL the live files go to the user's own directory of the spool; NIX_PGO_COLLECTION=exit keeps a run at exit", async () => {
    const spool = prepareSpool(join(work, 'spool-variable'));
    const env: NodeJS.ProcessEnv = { ...process.env, NIX_PGO_SPOOL: spool };
    delete env.LLVM_PROFILE_FILE;
    delete env.NIX_PGO_COLLECTION;
    let pid = 0;
    const { stderr } = await run(join(profiling, 'bin/ticker'), ['-n', '3'], { env, onSpawn: (p) => (pid = p) });
    assert.equal(stderr, '');
    const mine = join(spool, 'llvm', String(process.getuid!()));
    assert.deepEqual(readdirSync(join(spool, 'llvm')), [String(process.getuid!())]);
    assert.equal(liveFiles(mine).filter((f) => f.startsWith(`live-${pid}-`)).length, 2);

    const dir = join(work, 'spool-forced-exit', 'llvm');
    const forced = await run(join(profiling, 'bin/ticker'), ['-n', '3'], {
      env: { ...process.env, LLVM_PROFILE_FILE: join(dir, '%p-%m.profraw'), NIX_PGO_COLLECTION: 'exit' },
    });
    assert.equal(forced.stderr, '');
    assert.equal(readdirSync(dir).length, 2);
    assert.equal(liveFiles(dir).length, 0);
  });

  it('a program waits for its shared flock as long as a collector holds the live file exclusively, and locks the file its name leads to', async () => {
    // In a pid namespace of its own the program is pid 1 each time, so a second run maps the first one's live files.
    const spool = prepareSpool(join(work, 'spool-flock'));
    const env: NodeJS.ProcessEnv = { ...process.env, NIX_PGO_SPOOL: spool };
    delete env.LLVM_PROFILE_FILE;
    delete env.NIX_PGO_COLLECTION;
    const ticker = join(profiling, 'bin/ticker');
    await run('unshare', ['--pid', '--fork', ticker, '-n', '3'], { env });
    const mine = join(spool, 'llvm', String(process.getuid!()));
    const files = liveFiles(mine);
    assert.equal(files.length, 2);
    for (const f of files) assert.match(f, /^live-1-/);
    const locked = join(mine, files[0]!);
    const holder = spawn('flock', ['--exclusive', locked, 'sleep', '2'], { stdio: 'ignore' });
    const released = new Promise<number>((resolve) => holder.on('exit', () => resolve(Date.now())));
    while (!(await flockBusy(locked))) await sleep(20);
    const { stdout, stderr } = await run('unshare', ['--pid', '--fork', ticker, '-n', '3'], { env });
    const finished = Date.now();
    assert.ok(finished >= (await released), 'the program finished only after the lock was released');
    assert.match(stdout, /ticker done 3/);
    assert.equal(stderr, '');

    // A collector removes the file while it holds it: the program then locks and maps the new one.
    const remover = spawn('flock', ['--exclusive', locked, 'sh', '-c', `sleep 1; rm ${locked}`], { stdio: 'ignore' });
    const removed = new Promise((resolve) => remover.on('exit', resolve));
    while (!(await flockBusy(locked))) await sleep(20);
    const running = start('unshare', ['--pid', '--fork', '--kill-child', ticker, '-n', '0', '-d', '5'], env);
    await removed;
    await waitFor('the live file again', () => (existsSync(locked) ? true : undefined));
    await waitFor('some units', () => (running.stdout().split('\n').length > 5 ? true : undefined));
    assert.ok(await flockBusy(locked), 'the running program holds the lock of the file its name leads to');
    running.child.kill('SIGKILL');
    await running.exited;
    for (let i = 0; i < 100 && (await flockBusy(locked)); i++) await sleep(50);
    assert.equal(await flockBusy(locked), false, 'the lock goes with the program');
  });

  it("a child forked without exec keeps counting into the parent's live file after the parent exits", async () => {
    const dir = join(work, 'spool-fork', 'llvm');
    const env = { ...process.env, LLVM_PROFILE_FILE: join(dir, '%p-%m.profraw') };
    // The output goes to a file: the child would keep a pipe open for as long as it lives.
    const outFile = join(work, 'fork.out');
    const out = openSync(outFile, 'w');
    const parent = spawn(join(profiling, 'bin/ticker'), ['-F', '-n', '0', '-d', '5'], {
      env,
      stdio: ['ignore', out, out],
    });
    const status = await new Promise<number | null>((resolve) => parent.on('exit', (code) => resolve(code)));
    closeSync(out);
    assert.equal(status, 0);
    const child = Number(/^parent detached (\d+)$/m.exec(readFileSync(outFile, 'utf8'))?.[1]);
    assert.ok(child > 0, readFileSync(outFile, 'utf8'));
    try {
      const files = liveFiles(dir);
      assert.equal(files.length, 2, 'no file of its own for the child');
      const libFile = await (async () => {
        for (const f of files) {
          const { stdout } = await run(mergeTool, ['show', '--all-functions', snapshot(join(dir, f))]);
          if (stdout.includes('ticker_unit')) return join(dir, f);
        }
        throw new Error('no live file of libticker.so');
      })();
      const a = sum(await tickerUnitCounts(mergeTool, snapshot(libFile)));
      await sleep(300);
      const b = sum(await tickerUnitCounts(mergeTool, snapshot(libFile)));
      assert.ok(b > a, `the child's counts reach the parent's file: ${a} -> ${b}`);
      assert.ok(await flockBusy(libFile), 'the child still holds the flock');
    } finally {
      process.kill(child, 'SIGKILL');
    }
  });

  it("the build's own runs of the program (its check) write at exit into the build directory", async () => {
    // The check phase runs the instrumented ticker; it must leave %m files, not live ones.
    const file = join(work, 'build-runs.nix');
    writeFileSync(
      file,
      `(import ${repoRoot}/examples { }).tickerLive.pgo.profile.overrideAttrs (old: {
         # A fresh derivation every time, so it really builds and the log is complete.
         testRun = "${process.pid}-${Date.now()}";
         postCheck = ''
           echo "build profiles: $(ls "$NIX_BUILD_TOP/.nix-pgo-build/llvm" | tr '\\n' ' ')"
           if ls "$NIX_BUILD_TOP/.nix-pgo-build/llvm" | grep -q '^live-'; then echo "a live file in the build" >&2; exit 1; fi
           test -n "$(ls "$NIX_BUILD_TOP/.nix-pgo-build/llvm")"
         '';
       })`,
    );
    const { log } = await nixBuildWithLog(work, [file], 'build-runs');
    assert.match(log, /build profiles: [0-9]+_0\.profraw [0-9]+_0\.profraw/);
    assert.doesNotMatch(log, /LLVM Profile (Error|Warning|Note)/);
  });

  it('the optimized build takes a profile merged from live files and is built as before', async () => {
    const dir = join(work, 'spool-train', 'llvm');
    await run(join(profiling, 'bin/ticker'), ['-n', '2000'], {
      env: { ...process.env, LLVM_PROFILE_FILE: join(dir, '%p-%m.profraw') },
    });
    const merged = join(work, 'ticker-live.profdata');
    await run(mergeTool, ['merge', '-o', merged, ...liveFiles(dir).map((f) => join(dir, f))]);
    const { stdout: show } = await run(mergeTool, ['show', '--ic-targets', '--all-functions', merged]);
    assert.match(show, /Indirect Call Site Count: 0/);
    assert.doesNotMatch(show, /Indirect Call Site Count: [1-9]/, 'a continuous profile has no value profiles');

    const optimized = await buildExample(work, 'tickerLive.pgo.optimized', { tickerLive: merged }, 'ticker-opt');
    const manifest = readManifest(optimized);
    assert.equal(manifest.kind, 'optimized');
    const vanilla = await buildExample(work, 'ticker');
    assert.equal(
      await runProgram(join(optimized, 'bin/ticker'), ['-n', '50']),
      await runProgram(join(vanilla, 'bin/ticker'), ['-n', '50']),
    );
    for (const f of ['bin/ticker', 'lib/libticker.so']) {
      const bytes = readFileSync(join(optimized, f));
      assert.equal(bytes.includes('live-%p-%m%c.profraw'), false, `${f}: no startup object`);
      const { stdout: sections } = await run('readelf', ['-S', '-W', join(optimized, f)]);
      assert.doesNotMatch(sections, /__llvm_prf_cnts/, `${f}: not instrumented`);
    }
    // The very derivation the package collected at exit gets for the same profile.
    const exitOptimized = await buildExample(work, 'ticker.pgo.optimized', { ticker: merged }, 'ticker-exit-opt');
    assert.equal(optimized, exitOptimized);
  });
});
