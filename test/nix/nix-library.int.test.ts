// The Nix library on real builds: instrumented variants with manifests,
// profiles written where they should be, optimized variants that really use
// their profile, and bad profiles refused with a message naming the package.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { join, basename } from 'node:path';
import { run } from '../../src/process/run.js';
import {
  buildExample,
  buildIdOf,
  elfFilesUnder,
  examples,
  makeTempDir,
  nixBuild,
  nixBuildFailure,
  nixBuildWithLog,
  profileArgs,
  readManifest,
  repoRoot,
  runProgram,
  textSection,
} from '../support/nix.js';
import { prepareSpool } from '../support/spool-fixture.js';

const work = makeTempDir('nixlib');
const calcInput = readFileSync(join(examples, 'pkgs/calc/src/main.c'), 'utf8');

/** Raw profiles written by one run with LLVM_PROFILE_FILE pointing into a fresh dir. */
async function runWithProfileDir(program: string, args: string[], name: string): Promise<string[]> {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  await runProgram(program, args, { env: { ...process.env, LLVM_PROFILE_FILE: join(dir, '%m.profraw') }, cwd: work });
  return readdirSync(dir).map((f) => join(dir, f));
}

async function binaryIdsOfRaw(mergeTool: string, raw: string): Promise<string[]> {
  const { stdout } = await run(mergeTool, ['show', '--binary-ids', raw]);
  return stdout.split('Binary IDs:')[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
}

async function merge(mergeTool: string, inputs: string[], out: string): Promise<string> {
  await run(mergeTool, ['merge', '-o', out, ...inputs]);
  return out;
}

describe('instrumented builds (pgo.profile)', () => {
  for (const attr of ['calc', 'strict', 'wordfreq']) {
    it(`${attr}: the manifest lists every instrumented ELF file with its build ID`, async () => {
      const out = await buildExample(work, `${attr}.pgo.profile`);
      const manifest = readManifest(out);
      assert.equal(manifest.kind, 'profile');
      assert.equal(manifest.pname, attr);
      assert.equal(manifest.outPath, out);
      assert.ok(existsSync(manifest.mergeTool ?? ''), `merge tool ${manifest.mergeTool} exists`);
      const elves = elfFilesUnder(out);
      assert.ok(elves.length > 0);
      const expected = await Promise.all(
        elves.map(async (f) => ({ path: f.slice(out.length + 1), buildId: await buildIdOf(f) })),
      );
      assert.deepEqual(
        manifest.binaries.map((b) => ({ path: b.path, buildId: b.buildId })),
        expected,
      );
      for (const b of manifest.binaries) assert.match(b.buildId, /^[0-9a-f]{40}$/);
    });
  }

  it('the manifest names files whose names hold quotes, backslashes, control characters and non-ASCII; not UTF-8 fails the build', async () => {
    const weird = 'we"ird\\\ttab\nline é 𝄞';
    /** calc.pgo.profile with one more copy of bin/calc, named by the shell word `name`. */
    const withCopy = (name: string, env = '') => `let
        pgo = import ${JSON.stringify(join(repoRoot, 'nix'))} { };
        stdenvs = import ${JSON.stringify(join(examples, 'stdenv'))} { };
        calc = import ${JSON.stringify(join(examples, 'pkgs/calc'))} { stdenv = stdenvs.clangStdenv; };
      in (pgo.enable (calc.overrideAttrs (old: { ${env} postInstall = ${JSON.stringify(`cp "$out/bin/calc" "$out/bin/"${name}`)}; }))).pgo.profile`;
    // A JSON string is a Nix string here: the name reaches the build unchanged, as a variable.
    const out = await nixBuild(
      work,
      ['-E', withCopy('"$weirdName"', `weirdName = ${JSON.stringify(weird)};`)],
      'weird',
    );
    const manifest = readManifest(out);
    const copy = manifest.binaries.find((b) => b.path === `bin/${weird}`);
    assert.ok(copy, `the manifest lists bin/${JSON.stringify(weird)}: ${JSON.stringify(manifest.binaries)}`);
    assert.ok(existsSync(join(out, copy.path)));
    assert.equal(copy.buildId, manifest.binaries.find((b) => b.path === 'bin/calc')?.buildId);
    const stderr = await nixBuildFailure(['-E', withCopy("bad$'\\xff'")]);
    assert.match(stderr, /nix-pgo: cannot write the manifest: the path "bin\/bad\.\.\." is not UTF-8/);
  });

  it('keeps the original name, so replaceDependencies can swap it', async () => {
    const vanilla = await buildExample(work, 'calc');
    const profiling = await buildExample(work, 'calc.pgo.profile');
    assert.equal(basename(vanilla).slice(33), 'calc-1.0');
    assert.equal(basename(profiling).slice(33), 'calc-1.0');
    assert.notEqual(vanilla, profiling);
  });

  it('clang: raw profiles go where LLVM_PROFILE_FILE points and carry the manifest build IDs', async () => {
    const out = await buildExample(work, 'calc.pgo.profile');
    const manifest = readManifest(out);
    const raws = await runWithProfileDir(join(out, 'bin/calc'), ['1'], 'env-set');
    // One file per instrumented module: the program and its shared library.
    assert.equal(raws.length, 2);
    const ids = (await Promise.all(raws.map((r) => binaryIdsOfRaw(manifest.mergeTool!, r)))).flat().sort();
    assert.deepEqual(ids, manifest.binaries.map((b) => b.buildId).sort());
    assert.deepEqual(
      readdirSync(work).filter((f) => f.endsWith('.profraw')),
      [],
      'nothing in the current directory',
    );
  });

  it("clang: without NIX_PGO_SPOOL the spool the build baked in is used (the user's own directory there), never the current one; without that spool nothing", async () => {
    const spool = join(makeTempDir('baked-spool'), 'spool');
    const entry = join(work, 'baked-spool.nix');
    writeFileSync(
      entry,
      `import ${examples} { nix-pgo = import ${repoRoot}/nix { defaultProfileDir = ${JSON.stringify(spool)}; }; }\n`,
    );
    const out = await nixBuild(work, [entry, '-A', 'calc.pgo.profile'], 'calc-baked-spool');
    const manifest = readManifest(out);
    assert.equal(manifest.defaultProfileDir, spool);
    const cwd = makeTempDir('cwd');
    const env = { ...process.env };
    delete env.LLVM_PROFILE_FILE;
    delete env.NIX_PGO_SPOOL;
    const expected = await runProgram(join(out, 'bin/calc'), ['1', 'hash'], { env, cwd });
    assert.equal(existsSync(spool), false, 'no spool: nothing written, nothing created');
    assert.deepEqual(readdirSync(cwd), []);

    // The spool as the daemon makes it.
    prepareSpool(spool);
    assert.equal(await runProgram(join(out, 'bin/calc'), ['1', 'hash'], { env, cwd }), expected);
    assert.deepEqual(readdirSync(cwd), []);
    const mine = join(spool, 'llvm', String(process.getuid!()));
    const ids = (await Promise.all(readdirSync(mine).map((f) => binaryIdsOfRaw(manifest.mergeTool!, join(mine, f)))))
      .flat()
      .sort();
    assert.deepEqual(ids, manifest.binaries.map((b) => b.buildId).sort());
  });

  it('gcc: gcda files go below GCOV_PREFIX into the directory the build baked in', async () => {
    const out = await buildExample(work, 'wordfreq.pgo.profile');
    const manifest = readManifest(out);
    assert.equal(manifest.toolchain, 'gcc');
    assert.equal(manifest.gcdaDir, `/tmp/nix-pgo/gcda/${basename(out)}`);
    const prefix = join(work, 'gcov');
    await runProgram(join(out, 'bin/wordfreq'), [], {
      env: { ...process.env, GCOV_PREFIX: prefix, GCOV_PREFIX_STRIP: '3' },
      input: calcInput,
    });
    const tree = join(prefix, basename(out));
    assert.deepEqual(readdirSync(tree), ['source#wordfreq.gcda']);
  });
});

describe('optimized builds (pgo.optimize)', () => {
  let calcProfile: string;
  let strictProfile: string;

  before(async () => {
    const calc = await buildExample(work, 'calc.pgo.profile');
    const strict = await buildExample(work, 'strict.pgo.profile');
    const calcRaws = [...(await runWithProfileDir(join(calc, 'bin/calc'), ['2'], 'train-calc'))];
    calcProfile = await merge(readManifest(calc).mergeTool!, calcRaws, join(work, 'calc.profdata'));
    const strictRaws = await runWithProfileDir(join(strict, 'bin/strict'), ['50000'], 'train-strict');
    strictProfile = await merge(readManifest(strict).mergeTool!, strictRaws, join(work, 'strict.profdata'));
  });

  it('clang: builds with the profile, gives the vanilla output, and its code depends on the profile', async () => {
    const vanilla = await buildExample(work, 'calc');
    const optimized = await buildExample(work, 'calc.pgo.optimized', { calc: calcProfile }, 'calc-opt');
    const unrelated = await buildExample(work, 'calc.pgo.optimized', { calc: strictProfile }, 'calc-unrelated');
    assert.equal(basename(optimized).slice(33), 'calc-1.0');
    for (const scale of ['1', '3']) {
      assert.equal(
        await runProgram(join(optimized, 'bin/calc'), [scale]),
        await runProgram(join(vanilla, 'bin/calc'), [scale]),
      );
    }
    const manifest = readManifest(optimized);
    assert.equal(manifest.kind, 'optimized');
    assert.match(manifest.profile ?? '', /^\/nix\/store\/[a-z0-9]{32}-calc\.profdata$/);
    assert.equal(manifest.mergeTool, undefined, 'no merge tool in the runtime closure');
    for (const file of ['bin/calc', 'lib/libcalc.so']) {
      const a = await textSection(join(optimized, file), work);
      const b = await textSection(join(unrelated, file), work);
      assert.notDeepEqual(a, b, `${file}: the profile changed the generated code`);
    }
  });

  it('clang: a -Werror package with a top-level NIX_CFLAGS_COMPILE builds with its own and with an unrelated profile', async () => {
    const own = await buildExample(work, 'strict.pgo.optimized', { strict: strictProfile }, 'strict-opt');
    const other = await buildExample(work, 'strict.pgo.optimized', { strict: calcProfile }, 'strict-other');
    const vanilla = await buildExample(work, 'strict');
    const expected = await runProgram(join(vanilla, 'bin/strict'), ['1000']);
    assert.equal(await runProgram(join(own, 'bin/strict'), ['1000']), expected);
    assert.equal(await runProgram(join(other, 'bin/strict'), ['1000']), expected);
    assert.notDeepEqual(
      await textSection(join(own, 'bin/strict'), work),
      await textSection(join(other, 'bin/strict'), work),
    );
  });

  it('gcc: builds with the merged gcda tree and its code depends on the profile', async () => {
    const profiling = await buildExample(work, 'wordfreq.pgo.profile');
    const manifest = readManifest(profiling);
    const prefix = join(work, 'gcov-train');
    const env = { ...process.env, GCOV_PREFIX: prefix, GCOV_PREFIX_STRIP: '3' };
    await runProgram(join(profiling, 'bin/wordfreq'), [], { env, input: calcInput });
    const tree = join(prefix, basename(profiling));
    const merged = join(work, 'wordfreq-gcda');
    // Merge two trees the way the daemon will: gcov-tool of the same GCC.
    cpSync(tree, join(work, 'wordfreq-copy'), { recursive: true });
    await run(manifest.mergeTool!, ['merge', tree, join(work, 'wordfreq-copy'), '-o', merged]);
    // An unrelated tree: gcda data of another program.
    const unrelatedDir = makeTempDir('gcc-unrelated');
    writeFileSync(join(unrelatedDir, 'other.c'), 'int main(void){return 0;}\n');
    await run('gcc', ['-fprofile-generate', '-o', join(unrelatedDir, 'other'), join(unrelatedDir, 'other.c')], {
      cwd: unrelatedDir,
    });
    await runProgram(join(unrelatedDir, 'other'), [], { cwd: unrelatedDir });
    const unrelatedTree = join(work, 'unrelated-gcda');
    mkdirSync(unrelatedTree);
    for (const f of readdirSync(unrelatedDir).filter((n) => n.endsWith('.gcda')))
      cpSync(join(unrelatedDir, f), join(unrelatedTree, f));

    const vanilla = await buildExample(work, 'wordfreq');
    const optimized = await buildExample(work, 'wordfreq.pgo.optimized', { wordfreq: merged }, 'wordfreq-opt');
    const unrelated = await buildExample(
      work,
      'wordfreq.pgo.optimized',
      { wordfreq: unrelatedTree },
      'wordfreq-unrelated',
    );
    const input = readFileSync(join(examples, 'pkgs/wordfreq/src/wordfreq.c'), 'utf8');
    const expected = await runProgram(join(vanilla, 'bin/wordfreq'), [], { input });
    assert.equal(await runProgram(join(optimized, 'bin/wordfreq'), [], { input }), expected);
    assert.equal(await runProgram(join(unrelated, 'bin/wordfreq'), [], { input }), expected);
    assert.notDeepEqual(
      await textSection(join(optimized, 'bin/wordfreq'), work),
      await textSection(join(unrelated, 'bin/wordfreq'), work),
    );
  });

  it('stdenv adapters build every package of a set as the chosen variant', async () => {
    const expr = `
      let
        pgo = import ${repoRoot}/nix { };
        stdenvs = import ${repoRoot}/examples/stdenv { };
      in {
        profile = import ${repoRoot}/examples/pkgs/calc { stdenv = pgo.adapters.withProfileGenerate stdenvs.clangStdenv; };
        optimized = import ${repoRoot}/examples/pkgs/calc { stdenv = pgo.adapters.withProfileUse ${calcProfile} stdenvs.clangStdenv; };
      }`;
    const file = join(work, 'adapters.nix');
    writeFileSync(file, expr);
    const profiled = await nixBuild(work, [file, '-A', 'profile'], 'adapter-profile');
    assert.equal(readManifest(profiled).kind, 'profile');
    assert.equal(readManifest(profiled).binaries.length, 2);
    const optimized = await nixBuild(work, [file, '-A', 'optimized'], 'adapter-optimized');
    assert.equal(readManifest(optimized).kind, 'optimized');
    assert.equal(await runProgram(join(optimized, 'bin/calc'), ['1', 'primes']), 'primes 9592\n');
  });

  it('the withProfiles overlay swaps a package for its optimized variant', async () => {
    const file = join(work, 'overlay.nix');
    writeFileSync(
      file,
      `let
         pgo = import ${repoRoot}/nix { };
         prev = import ${repoRoot}/examples { };
       in (pgo.withProfiles { calc = ${calcProfile}; } prev prev).calc`,
    );
    const out = await nixBuild(work, [file], 'overlay');
    assert.equal(readManifest(out).kind, 'optimized');
  });
});

describe('instrumented programs that the build itself runs', () => {
  // The default profile directory exists and belongs to another user, as a
  // shared /tmp/nix-pgo created by someone else does: builds (as nixbld) cannot
  // write there. A fresh directory also gives fresh derivations, so both really
  // build and their logs are complete.
  const foreignDefault = makeTempDir('foreign-default');
  const file = join(work, 'foreign-default.nix');

  before(async () => {
    const uid = Number((await run('id', ['-u', 'nobody'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'nobody'])).stdout.trim());
    chownSync(foreignDefault, uid, gid);
    chmodSync(foreignDefault, 0o755);
    writeFileSync(
      file,
      `import ${repoRoot}/examples { nix-pgo = import ${repoRoot}/nix { defaultProfileDir = ${JSON.stringify(foreignDefault)}; }; }`,
    );
  });

  for (const [attr, toolchain] of [
    ['crc', 'clang'],
    ['crcGcc', 'gcc'],
  ] as const) {
    it(`${toolchain}: a code generator and a check run during the build write nowhere outside it`, async () => {
      const { path: out, log } = await nixBuildWithLog(work, [file, '-A', `${attr}.pgo.profile`], `${attr}-foreign`);
      assert.match(log, /\.\/gentable >table\.c/, 'the build ran the generator (a complete log)');
      assert.doesNotMatch(log, /LLVM Profile (Error|Warning)/);
      assert.doesNotMatch(log, /^profiling:/m, 'no libgcov error');
      assert.deepEqual(readdirSync(foreignDefault), [], 'nothing new in the default directory');
      const profileFiles = (readdirSync(out, { recursive: true }) as string[]).filter((f) =>
        /\.(profraw|gcda)$/.test(f),
      );
      assert.deepEqual(profileFiles, [], 'no profile in $out');
      const manifest = readManifest(out);
      assert.equal(manifest.toolchain, toolchain);
      assert.equal(manifest.defaultProfileDir, foreignDefault);
      assert.deepEqual(
        manifest.binaries.map((b) => b.path),
        ['bin/crc'],
      );
      // The program itself still writes where the environment says.
      const spool = join(work, `${attr}-spool`);
      const env = {
        ...process.env,
        LLVM_PROFILE_FILE: join(spool, '%m.profraw'),
        GCOV_PREFIX: spool,
        GCOV_PREFIX_STRIP: '0',
      };
      assert.equal(await runProgram(join(out, 'bin/crc'), [], { env, input: '123456789' }), 'cbf43926\n');
      const written = (readdirSync(spool, { recursive: true }) as string[]).filter((f) => /\.(profraw|gcda)$/.test(f));
      assert.equal(written.length, 1, `one profile file: ${written.join(', ')}`);
    });
  }
});

describe('bad profiles fail naming the package and the profile', () => {
  const cases: { name: string; attr: string; make: (dir: string) => string; message: RegExp }[] = [
    {
      name: 'missing',
      attr: 'calc',
      make: (dir) => join(dir, 'does-not-exist.profdata'),
      message: /the profile for calc does not exist: \S*does-not-exist\.profdata/,
    },
    {
      name: 'empty',
      attr: 'calc',
      make: (dir) => writeTo(join(dir, 'empty.profdata'), ''),
      message: /the profile for calc 1\.0 is empty: \/nix\/store\/\S+-empty\.profdata/,
    },
    {
      name: 'corrupt',
      attr: 'calc',
      make: (dir) => writeTo(join(dir, 'corrupt.profdata'), 'this is not a profile at all\n'),
      message: /the profile for calc 1\.0 is not an LLVM indexed profile .*: \/nix\/store\/\S+-corrupt\.profdata/,
    },
    {
      name: 'unmerged raw profile',
      attr: 'calc',
      make: (dir) => {
        const raw = readdirSync(join(work, 'env-set'))[0]!;
        return cpTo(join(work, 'env-set', raw), join(dir, 'raw.profraw'));
      },
      message: /the profile for calc 1\.0 is a raw profile \(\/nix\/store\/\S+-raw\.profraw\); merge it first/,
    },
    {
      name: 'other LLVM version',
      attr: 'calc',
      make: (dir) => {
        // An indexed profile whose format version this LLVM does not know.
        const bytes = Buffer.from(readFileSync(join(work, 'calc.profdata')));
        bytes.writeBigUInt64LE(99n, 8);
        return writeTo(join(dir, 'future.profdata'), bytes);
      },
      message: /the profile for calc 1\.0 cannot be read by the LLVM 16 tools .*\/nix\/store\/\S+-future\.profdata/,
    },
    {
      name: 'gcda tree given to a clang package',
      attr: 'calc',
      make: () => join(work, 'wordfreq-gcda'),
      message: /the profile for calc 1\.0 is a directory \(\/nix\/store\/\S+-wordfreq-gcda\); calc is built with clang/,
    },
    {
      name: 'profdata given to a GCC package',
      attr: 'wordfreq',
      make: () => join(work, 'calc.profdata'),
      message:
        /the profile for wordfreq 2\.1 is not a directory \(\/nix\/store\/\S+-calc\.profdata\); wordfreq is built with GCC/,
    },
    {
      name: 'empty gcda tree',
      attr: 'wordfreq',
      make: (dir) => {
        mkdirSync(join(dir, 'empty-gcda'));
        writeFileSync(join(dir, 'empty-gcda', 'README'), 'no gcda here\n');
        return join(dir, 'empty-gcda');
      },
      message: /the profile for wordfreq 2\.1 is empty \(no \.gcda files\): \/nix\/store\/\S+-empty-gcda/,
    },
    {
      name: 'corrupt gcda file',
      attr: 'wordfreq',
      make: (dir) => {
        mkdirSync(join(dir, 'bad-gcda'));
        writeFileSync(join(dir, 'bad-gcda', 'source#wordfreq.gcda'), 'garbage garbage');
        return join(dir, 'bad-gcda');
      },
      message:
        /the profile for wordfreq 2\.1 has a corrupt gcda file: \/nix\/store\/\S+-bad-gcda\/source#wordfreq\.gcda/,
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const dir = makeTempDir('bad');
      const profile = c.make(dir);
      const stderr = await nixBuildFailure([
        examples,
        '-A',
        `${c.attr}.pgo.optimized`,
        ...profileArgs({ [c.attr]: profile }),
      ]);
      assert.match(stderr, c.message);
    });
  }

  it('no selected profile', async () => {
    const stderr = await nixBuildFailure([examples, '-A', 'calc.pgo.optimized']);
    assert.match(stderr, /no profile was selected for calc/);
  });
});

function writeTo(path: string, data: string | Buffer): string {
  writeFileSync(path, data);
  return path;
}

function cpTo(from: string, to: string): string {
  cpSync(from, to);
  return to;
}
