// The BOLT variants (nix/bolt.nix) on real builds: the example calc (a
// program and its shared library, clang) PGO-optimized with relocations and
// the BOLT startup object, then BOLT-instrumented; its runs write fdata files
// into the user's own directory below the directory baked into each file;
// merge-fdata merges them per file; the BOLT-optimized variant gives the
// vanilla output. Files BOLT refuses, files that fail the smoke test, and
// files linked without the startup object stay the PGO-optimized files, with
// the reason in the manifest.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { run } from '../../src/process/run.js';
import { ToolError } from '../../src/errors/errors.js';
import {
  buildExample,
  buildIdOf,
  checkedManifest,
  makeTempDir,
  nixBuild,
  readManifest,
  repoRoot,
  runProgram,
} from '../support/nix.js';

interface BoltBinary {
  output: string;
  path: string;
  buildId: string;
  inputBuildId: string;
  outcome: 'instrumented' | 'optimized' | 'fallback';
  reason: string | null;
  fdataPrefix?: string;
  smokeProfile?: boolean;
  profileKey?: 'build-id' | 'path' | null;
  functions?: number | null;
  functionsProfiled?: number | null;
}

interface BoltManifest {
  kind: 'bolt-profile' | 'bolt-optimized';
  name: string;
  pname: string;
  version: string;
  outPath: string;
  toolchain: string;
  boltTool?: string;
  mergeTool?: string;
  boltDir?: string;
  dumpInterval?: number | null;
  profile?: string;
  smokeTest: string | null;
  binaries: BoltBinary[];
}

const work = makeTempDir('bolt');
// The directory baked into the instrumented files: fresh for every run of the
// test, so the instrumented variant is really built.
const spool = join(work, 'spool');
const nixFile = join(work, 'bolt.nix');

function boltManifest(storePath: string): BoltManifest {
  return checkedManifest<BoltManifest>(storePath);
}

/** The build ID BOLT gives its output: the input's with the last bit flipped. */
function flipLastBit(id: string): string {
  const last = parseInt(id.slice(-1), 16) ^ 1;
  return id.slice(0, -1) + last.toString(16);
}

async function references(storePath: string): Promise<string[]> {
  const { stdout } = await run('nix-store', ['-q', '--references', storePath]);
  return stdout.split('\n').filter(Boolean);
}

/** One merged fdata file per build ID, from the files `<id>.<pid>.fdata` in `dir`. */
async function mergeSpool(mergeTool: string, dir: string, into: string): Promise<Map<string, string[]>> {
  mkdirSync(into, { recursive: true });
  const byId = new Map<string, string[]>();
  for (const name of readdirSync(dir)) {
    const match = /^([0-9a-f]{40})\.(\d+)\.fdata$/.exec(name);
    assert.ok(match, `${name} is named <build id>.<pid>.fdata`);
    byId.set(match[1]!, [...(byId.get(match[1]!) ?? []), join(dir, name)]);
  }
  for (const [id, files] of byId) await run(mergeTool, ['-o', join(into, `${id}.fdata`), ...files]);
  return byId;
}

/** fdata as branch -> count (the last word of each line is the count). */
function counts(file: string): Map<string, number> {
  const result = new Map<string, number>();
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const at = line.lastIndexOf(' ');
    const key = line.slice(0, at);
    result.set(key, (result.get(key) ?? 0) + Number(line.slice(at + 1)));
  }
  return result;
}

describe('nix/tests/bolt.nix', () => {
  it('every expr/expected pair holds', async () => {
    const { stdout } = await run('nix-instantiate', [
      '--eval',
      '--strict',
      '--json',
      join(repoRoot, 'nix/tests/bolt.nix'),
    ]);
    const result = JSON.parse(stdout) as { total: number; failures: unknown[] };
    assert.deepEqual(result.failures, []);
    assert.ok(result.total >= 17);
  });
});

describe('pgo.select', () => {
  it('names the same derivations as optimize and boltOptimize, with profiles selected later', async () => {
    const dir = makeTempDir('bolt-select');
    writeFileSync(join(dir, 'calc.profdata'), 'not read: only the derivations are compared');
    mkdirSync(join(dir, 'calc-bolt'));
    writeFileSync(join(dir, 'calc-bolt', 'x.fdata'), '1 main 0 1 main 1 0 1\n');
    const expr = `let
      pgo = import ${repoRoot}/nix { };
      stdenvs = import ${repoRoot}/examples/stdenv { };
      calc = import ${repoRoot}/examples/pkgs/calc { stdenv = stdenvs.clangStdenv; };
      withBolt = pgo.enableWith { bolt = true; boltTools = { llvmBolt = "/x/llvm-bolt"; mergeFdata = "/x/merge-fdata"; }; } calc;
      selected = withBolt.pgo.select { profile = ${dir}/calc.profdata; boltProfile = ${dir}/calc-bolt; };
    in [
      (selected.optimized.drvPath == (withBolt.pgo.optimize ${dir}/calc.profdata).drvPath)
      (selected.boltOptimized.drvPath == (selected.boltOptimize ${dir}/calc-bolt).drvPath)
      (selected.boltProfile.drvPath != withBolt.pgo.profile.drvPath)
    ]`;
    const { stdout } = await run('nix-instantiate', ['--eval', '--read-write-mode', '--strict', '--json', '-E', expr]);
    assert.deepEqual(JSON.parse(stdout), [true, true, true]);
  });
});

describe('BOLT variants of calc', () => {
  let pgoProfile: string;
  let vanilla: string;
  let optimized: string;
  let instrumented: string;
  let boltProfile: string;
  const inputs = [['1'], ['2'], ['3', 'sort'], ['4', 'hash']];

  before(async () => {
    mkdirSync(spool, { mode: 0o1733 });
    chmodSync(spool, 0o1733);
    writeFileSync(
      nixFile,
      `{ pgoProfile, boltProfile ? null, smokeTest ? null, stripLib ? false }:
      let
        repo = ${repoRoot};
        examples = import (repo + "/examples") { };
        attrs = import (repo + "/nix/attrs.nix");
        bolt = import (repo + "/nix/bolt.nix");
        tools = bolt.toolsFrom (import (repo + "/examples/stdenv/bolt.nix") { });
        # With BOLT on, the library links the PGO-optimized variant with relocations and the BOLT startup object.
        withRelocs = examples.calcBolt.pgo.optimize pgoProfile;
        # Relocations only: what bolt.instrument gets from a PGO-optimized build made without the library's BOLT switch.
        withoutObject = (examples.calc.pgo.optimize pgoProfile).overrideAttrs (old: attrs.appendFlags "NIX_LDFLAGS" bolt.linkFlags old);
        # strip --strip-all drops the relocations (and symbols) BOLT needs.
        optimized = if stripLib then withRelocs.overrideAttrs (old: { postFixup = "strip --strip-all $out/lib/libcalc.so"; }) else withRelocs;
      in {
        inherit optimized;
        instrumented = bolt.instrument { inherit optimized tools smokeTest; boltDir = ${JSON.stringify(spool)}; };
        unsafe = bolt.instrument { optimized = withoutObject; inherit tools; boltDir = ${JSON.stringify(spool)}; };
        final = bolt.optimize { inherit optimized tools smokeTest; profile = boltProfile; };
      }`,
    );
    const profiling = await buildExample(work, 'calc.pgo.profile');
    const raw = join(work, 'raw');
    await runProgram(join(profiling, 'bin/calc'), ['2'], {
      env: { ...process.env, LLVM_PROFILE_FILE: join(raw, '%p-%m.profraw') },
    });
    pgoProfile = join(work, 'calc.profdata');
    await run(readManifest(profiling).mergeTool!, [
      'merge',
      '-o',
      pgoProfile,
      ...readdirSync(raw).map((f) => join(raw, f)),
    ]);
    vanilla = await buildExample(work, 'calc');
    optimized = await nixBuild(work, [nixFile, '-A', 'optimized', '--argstr', 'pgoProfile', pgoProfile], 'optimized');
    instrumented = await nixBuild(
      work,
      [
        nixFile,
        '-A',
        'instrumented',
        '--argstr',
        'pgoProfile',
        pgoProfile,
        '--argstr',
        'smokeTest',
        '"$out/bin/calc" 1',
      ],
      'instrumented',
    );
  });

  it('the PGO-optimized variant keeps its relocations', async () => {
    for (const file of ['bin/calc', 'lib/libcalc.so']) {
      const { stdout } = await run('readelf', ['-S', '-W', join(optimized, file)]);
      assert.match(stdout, /\.rela\.text/, `${file} has .rela.text`);
    }
  });

  it('the instrumented variant keeps the name, instruments every ELF file and records where each writes', async () => {
    assert.equal(basename(instrumented).slice(33), 'calc-1.0');
    assert.notEqual(instrumented, optimized);
    const manifest = boltManifest(instrumented);
    assert.equal(manifest.kind, 'bolt-profile');
    assert.equal(manifest.pname, 'calc');
    assert.equal(manifest.outPath, instrumented);
    assert.equal(manifest.toolchain, 'clang');
    assert.equal(manifest.boltDir, spool);
    assert.equal(manifest.dumpInterval, null);
    assert.equal(manifest.smokeTest, 'passed');
    assert.match(manifest.mergeTool ?? '', /\/bin\/merge-fdata$/);
    assert.deepEqual(
      manifest.binaries.map((b) => [b.path, b.outcome]),
      [
        ['bin/calc', 'instrumented'],
        ['lib/libcalc.so', 'instrumented'],
      ],
    );
    for (const b of manifest.binaries) {
      const pgoId = await buildIdOf(join(optimized, b.path));
      assert.equal(b.inputBuildId, pgoId, `${b.path}: the input is the PGO-optimized file`);
      assert.equal(b.buildId, flipLastBit(pgoId!), `${b.path}: BOLT flips the last bit of the build ID`);
      assert.equal(await buildIdOf(join(instrumented, b.path)), b.buildId);
      assert.equal(b.fdataPrefix, join(spool, pgoId!));
      assert.equal(b.smokeProfile, true, `${b.path} wrote a profile during the smoke test`);
    }
  });

  it('the instrumented variant refers to its own library, not to the PGO-optimized output', async () => {
    const { stdout } = await run('readelf', ['-d', join(instrumented, 'bin/calc')]);
    assert.match(stdout, new RegExp(`RUNPATH.*${instrumented}/lib`));
    const refs = await references(instrumented);
    assert.ok(!refs.includes(optimized), `no reference to ${optimized}: ${refs.join(' ')}`);
  });

  it("instrumented runs give the vanilla output and write one fdata file per process and file into the user's directory, exactly counted", async () => {
    for (const args of inputs) {
      assert.equal(
        await runProgram(join(instrumented, 'bin/calc'), args),
        await runProgram(join(vanilla, 'bin/calc'), args),
      );
    }
    assert.deepEqual(readdirSync(spool), [String(process.getuid!())], "nothing but the user's directory in boltDir");
    const mine = join(spool, String(process.getuid!()));
    const names = readdirSync(mine);
    assert.equal(names.length, 2 * inputs.length, names.join(' '));
    // BOLT's runtime creates its files with mode 0666 less the umask, and takes no lock.
    const umask = process.umask();
    for (const name of names) assert.equal(statSync(join(mine, name)).mode & 0o777, 0o666 & ~umask, name);
    // Two runs on the same input count exactly twice what one run counts.
    const once = join(work, 'once');
    mkdirSync(once);
    for (const name of names) cpSync(join(mine, name), join(once, name));
    const one = makeTempDir('bolt-one');
    const two = makeTempDir('bolt-two');
    const manifest = boltManifest(instrumented);
    const lib = manifest.binaries.find((b) => b.path === 'lib/libcalc.so')!;
    const libFiles = names.filter((n) => n.startsWith(lib.inputBuildId)).sort();
    await run(manifest.mergeTool!, ['-o', join(one, 'm.fdata'), join(mine, libFiles[0]!)]);
    await run(manifest.mergeTool!, ['-o', join(two, 'm.fdata'), join(mine, libFiles[0]!), join(mine, libFiles[0]!)]);
    const single = counts(join(one, 'm.fdata'));
    const double = counts(join(two, 'm.fdata'));
    assert.ok(single.size > 0);
    for (const [branch, count] of single) assert.equal(double.get(branch), 2 * count, branch);

    const merged = await mergeSpool(manifest.mergeTool!, mine, join(work, 'bolt-profile'));
    assert.deepEqual([...merged.keys()].sort(), manifest.binaries.map((b) => b.inputBuildId).sort());
    for (const files of merged.values()) assert.equal(files.length, inputs.length);
    boltProfile = join(work, 'bolt-profile');
  });

  it('an instrumented program whose directory is missing writes nothing, prints nothing and exits as it would', async () => {
    const moved = `${spool}-away`;
    cpSync(spool, moved, { recursive: true });
    rmSync(spool, { recursive: true });
    try {
      const { stdout, stderr } = await run(join(instrumented, 'bin/calc'), ['1']);
      assert.equal(stdout, await runProgram(join(vanilla, 'bin/calc'), ['1']));
      assert.equal(stderr, '');
      assert.equal(existsSync(spool), false, 'nothing created');
    } finally {
      mkdirSync(spool, { mode: 0o1733 });
      chmodSync(spool, 0o1733);
    }
  });

  it("a PGO-optimized build without the BOLT startup object stays as it is: its profiles could not go to the user's directory", async () => {
    const unsafe = await nixBuild(work, [nixFile, '-A', 'unsafe', '--argstr', 'pgoProfile', pgoProfile], 'unsafe');
    const manifest = boltManifest(unsafe);
    for (const b of manifest.binaries) {
      assert.equal(b.outcome, 'fallback', b.path);
      assert.match(b.reason ?? '', /linked without nix-pgo's startup object for BOLT/);
    }
  });

  it('the BOLT-optimized variant gives the vanilla output and records what BOLT did to each file', async () => {
    assert.ok(boltProfile, 'the profile of the previous test');
    const final = await nixBuild(
      work,
      [
        nixFile,
        '-A',
        'final',
        '--argstr',
        'pgoProfile',
        pgoProfile,
        '--argstr',
        'boltProfile',
        boltProfile,
        '--argstr',
        'smokeTest',
        '"$out/bin/calc" 2',
      ],
      'final',
    );
    assert.equal(basename(final).slice(33), 'calc-1.0');
    for (const args of [...inputs, ['5'], ['2', 'collatz']]) {
      assert.equal(await runProgram(join(final, 'bin/calc'), args), await runProgram(join(vanilla, 'bin/calc'), args));
    }
    const manifest = boltManifest(final);
    assert.equal(manifest.kind, 'bolt-optimized');
    assert.equal(manifest.mergeTool, undefined, 'no BOLT tool in the runtime closure');
    assert.equal(manifest.boltTool, undefined);
    assert.equal(manifest.smokeTest, 'passed');
    assert.match(manifest.profile ?? '', /^\/nix\/store\/[a-z0-9]{32}-bolt-profile$/);
    for (const b of manifest.binaries) {
      assert.equal(b.outcome, 'optimized', `${b.path}: ${b.reason}`);
      assert.equal(b.profileKey, 'build-id');
      assert.equal(b.buildId, flipLastBit(b.inputBuildId));
      assert.ok((b.functionsProfiled ?? 0) > 0, `${b.path}: BOLT saw the profile`);
    }
    const { stdout } = await run('readelf', ['-S', '-W', join(final, 'bin/calc')]);
    assert.match(stdout, /\.text\.cold/, 'cold code was split off');
    const refs = await references(final);
    assert.ok(!refs.includes(optimized), 'no reference to the PGO-optimized output');
    assert.ok(
      refs.every((r) => r === final || r === manifest.profile),
      refs.join(' '),
    );
    // The same inputs give the same bytes.
    const again = await nixBuild(
      work,
      [
        nixFile,
        '-A',
        'final',
        '--argstr',
        'pgoProfile',
        pgoProfile,
        '--argstr',
        'boltProfile',
        boltProfile,
        '--argstr',
        'smokeTest',
        '"$out/bin/calc" 2',
        '--check',
      ],
      'final-check',
    );
    assert.equal(again, final);
  });

  it('a file BOLT refuses stays the PGO-optimized file, with BOLT’s reason; a profile is also found by path', async () => {
    const stripped = await nixBuild(
      work,
      [nixFile, '-A', 'optimized', '--argstr', 'pgoProfile', pgoProfile, '--arg', 'stripLib', 'true'],
      'stripped',
    );
    // bin/calc of this build has another build ID (its RUNPATH names another
    // output); its profile is found by path instead.
    const profile = join(work, 'bolt-profile-by-path');
    mkdirSync(join(profile, 'out/bin'), { recursive: true });
    const manifest = boltManifest(instrumented);
    const exe = manifest.binaries.find((b) => b.path === 'bin/calc')!;
    const lib = manifest.binaries.find((b) => b.path === 'lib/libcalc.so')!;
    cpSync(join(boltProfile, `${exe.inputBuildId}.fdata`), join(profile, 'out/bin/calc.fdata'));
    cpSync(join(boltProfile, `${lib.inputBuildId}.fdata`), join(profile, `${lib.inputBuildId}.fdata`));
    assert.equal(await buildIdOf(join(stripped, 'lib/libcalc.so')), lib.inputBuildId, 'strip keeps the build ID');

    const final = await nixBuild(
      work,
      [
        nixFile,
        '-A',
        'final',
        '--argstr',
        'pgoProfile',
        pgoProfile,
        '--arg',
        'stripLib',
        'true',
        '--argstr',
        'boltProfile',
        profile,
      ],
      'final-stripped',
    );
    const result = boltManifest(final);
    const byPath = Object.fromEntries(result.binaries.map((b) => [b.path, b]));
    assert.equal(byPath['bin/calc']?.outcome, 'optimized');
    assert.equal(byPath['bin/calc']?.profileKey, 'path');
    assert.equal(byPath['lib/libcalc.so']?.outcome, 'fallback');
    assert.equal(
      byPath['lib/libcalc.so']?.reason,
      'llvm-bolt refused it (exit 1): BOLT-ERROR: function reordering only works when relocations are enabled',
    );
    assert.deepEqual(
      readFileSync(join(final, 'lib/libcalc.so')),
      readFileSync(join(stripped, 'lib/libcalc.so')),
      'the PGO-optimized library, unchanged',
    );
    for (const args of inputs) {
      assert.equal(await runProgram(join(final, 'bin/calc'), args), await runProgram(join(vanilla, 'bin/calc'), args));
    }
    // The instrumented variant refuses it too, for the same reason.
    const inst = await nixBuild(
      work,
      [nixFile, '-A', 'instrumented', '--argstr', 'pgoProfile', pgoProfile, '--arg', 'stripLib', 'true'],
      'inst-stripped',
    );
    const refused = boltManifest(inst).binaries.find((b) => b.path === 'lib/libcalc.so')!;
    assert.equal(refused.outcome, 'fallback');
    assert.match(refused.reason ?? '', /instrumentation runtime libraries require relocations/);
  });

  it('a file that makes the smoke test differ stays the PGO-optimized file', async () => {
    // A smoke test that only the BOLTed library fails: it checks the library's
    // build ID, which BOLT changes.
    const lib = boltManifest(instrumented).binaries.find((b) => b.path === 'lib/libcalc.so')!;
    const smoke = `"$out/bin/calc" 1; readelf -n "$out/lib/libcalc.so" | grep -q ${lib.inputBuildId}`;
    const final = await nixBuild(
      work,
      [
        nixFile,
        '-A',
        'final',
        '--argstr',
        'pgoProfile',
        pgoProfile,
        '--argstr',
        'boltProfile',
        boltProfile,
        '--argstr',
        'smokeTest',
        smoke,
      ],
      'final-smoke',
    );
    const manifest = boltManifest(final);
    const byPath = Object.fromEntries(manifest.binaries.map((b) => [b.path, b]));
    assert.equal(byPath['bin/calc']?.outcome, 'optimized');
    assert.equal(byPath['lib/libcalc.so']?.outcome, 'fallback');
    assert.equal(byPath['lib/libcalc.so']?.reason, 'the smoke test fails with this file: exit status 1 instead of 0');
    assert.equal(manifest.smokeTest, 'failed: files kept from the PGO-optimized outputs');
  });

  it('a bad BOLT profile fails the build, naming the package and the file', async () => {
    const bad = join(work, 'bad-profile');
    mkdirSync(bad);
    writeFileSync(
      join(bad, `${boltManifest(instrumented).binaries[0]!.inputBuildId}.fdata`),
      '1 main 10 1 main 12 0 5\n1 main 2',
    );
    const error = await nixBuildFailureOf([
      nixFile,
      '-A',
      'final',
      '--argstr',
      'pgoProfile',
      pgoProfile,
      '--argstr',
      'boltProfile',
      bad,
    ]);
    assert.match(error, /the BOLT profile for calc 1\.0 is corrupt: [0-9a-f]{40}\.fdata: its last line is cut off/);
    const empty = join(work, 'empty-profile');
    mkdirSync(empty);
    assert.match(
      await nixBuildFailureOf([
        nixFile,
        '-A',
        'final',
        '--argstr',
        'pgoProfile',
        pgoProfile,
        '--argstr',
        'boltProfile',
        empty,
      ]),
      /the BOLT profile for calc 1\.0 is empty \(no \.fdata files\)/,
    );
  });
});

describe('BOLT 16 and a computed-goto interpreter (position-independent)', () => {
  it('the smoke test catches the instrumented program that crashes, and keeps the PGO file', async () => {
    // BOLT 16 moves a function whose labels are taken (&&label) without
    // fixing its table of label addresses in a PIE: the program crashes.
    const src = join(work, 'cgoto-src');
    mkdirSync(src);
    writeFileSync(
      join(src, 'interp.c'),
      `#include <stdio.h>
#include <stdlib.h>
enum { PUSH, SUB, DUP, JNZ, POP, HALT };
static long run(const int *code, long n) {
    static const void *labels[] = { &&op_push, &&op_sub, &&op_dup, &&op_jnz, &&op_pop, &&op_halt };
    long stack[64]; int sp = 0; const int *pc = code; long acc = 0;
    stack[sp++] = n;
    goto *labels[*pc++];
op_push: stack[sp++] = *pc++; goto *labels[*pc++];
op_sub: sp--; stack[sp - 1] -= stack[sp]; goto *labels[*pc++];
op_dup: stack[sp] = stack[sp - 1]; sp++; goto *labels[*pc++];
op_pop: acc += stack[--sp]; goto *labels[*pc++];
op_jnz: { int t = *pc++; if (stack[sp - 1]) pc = code + t; } goto *labels[*pc++];
op_halt: return acc + stack[sp - 1];
}
int main(int argc, char **argv) {
    static const int prog[] = { DUP, POP, PUSH, 1, SUB, JNZ, 0, HALT };
    printf("%ld\\n", run(prog, argc > 1 ? atol(argv[1]) : 1000));
    return 0;
}
`,
    );
    writeFileSync(
      join(src, 'Makefile'),
      'interp: interp.c\n\t$(CC) -O2 -o $@ interp.c\ninstall: interp\n\tmkdir -p $(PREFIX)/bin && cp interp $(PREFIX)/bin/\n',
    );
    const file = join(work, 'cgoto.nix');
    writeFileSync(
      file,
      `let
        repo = ${repoRoot};
        stdenvs = import (repo + "/examples/stdenv") { };
        bolt = import (repo + "/nix/bolt.nix");
        tools = bolt.toolsFrom (import (repo + "/examples/stdenv/bolt.nix") { });
        interp = stdenvs.clangStdenv.mkDerivation {
          pname = "cgoto"; version = "1.0"; src = ${src};
          env.NIX_LDFLAGS = "--build-id --emit-relocs";
          # What the library's BOLT switch adds to a PGO-optimized build: the BOLT startup object.
          preBuild = "source \${repo + "/nix/scripts/pgo.sh"}; pgoDefaultProfileDir=/tmp/nix-pgo pgoAddStartupObject \${repo + "/nix/runtime"} bolt-start";
        };
        args = { optimized = interp; inherit tools; boltDir = ${JSON.stringify(spool)}; };
      in {
        checked = bolt.instrument (args // { smokeTest = ''"$out/bin/interp" 1000''; });
        unchecked = bolt.instrument args;
      }`,
    );
    const unchecked = await nixBuild(work, [file, '-A', 'unchecked'], 'cgoto-unchecked');
    assert.equal(boltManifest(unchecked).binaries[0]?.outcome, 'instrumented');
    await assert.rejects(runProgram(join(unchecked, 'bin/interp'), ['10']), /killed by SIGSEGV/);

    const checked = await nixBuild(work, [file, '-A', 'checked'], 'cgoto-checked');
    const b = boltManifest(checked).binaries[0]!;
    assert.equal(b.outcome, 'fallback');
    assert.equal(b.reason, 'the smoke test fails with this file: exit status 139 (killed by signal 11) instead of 0');
    assert.equal(await runProgram(join(checked, 'bin/interp'), ['10']), '55\n');
  });
});

async function nixBuildFailureOf(args: string[]): Promise<string> {
  try {
    await nixBuild(work, args, 'should-fail');
  } catch (error) {
    if (error instanceof ToolError) return error.stderr;
    throw error;
  }
  throw new Error(`nix-build ${args.join(' ')} succeeded but should have failed`);
}
