/**
 * The writers (nix/runtime/: the startup objects every instrumented module
 * links) against a hostile second user, each a real uid on this machine, on a
 * spool made by the NixOS module's own tmpfiles rules (llvm/, gcda/, bolt/ at
 * 1733 with the daemon's default ACL). For clang, GCC and BOLT programs, and
 * for a victim that is an ordinary user and one that is root:
 *
 * - the attacker takes the victim's directory name first (`<fmt>/<uid>` as a
 *   file, a directory of its own, a symlink to a directory of its own): every
 *   run of the victim still lands, in a directory the victim owns
 *   (`<uid>.XXXXXX`), nothing is written into or through the attacker's
 *   object, the program prints and returns what it does without the attack,
 *   and N runs hold exactly N times one run's counts;
 * - a spool that is missing, reached through another user's symlink, or below
 *   a directory anybody may write in: the program writes nothing and prints
 *   nothing, and its output and exit status are its own;
 * - a root process that calls setuid writes to the new user's directory.
 *
 * The kernel's own guards (fs.protected_symlinks, fs.protected_regular) are
 * set to 0 for the test, as on the machine the issue was measured on, and put
 * back after it: the writer must not rely on them.
 *
 * Needs root (runs programs as other uids) and systemd-tmpfiles; skipped otherwise.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/process/run.js';
import { readFdataTree } from '../../src/merge/fdata-tree.js';
import { evalJson, nixDir } from '../nixos/nixos-support.js';
import {
  buildBoltExample,
  buildClangExample,
  buildGccExample,
  clangCounts,
  gccCounts,
  LIB_C,
  LLVM_PROFDATA,
  scaled,
  tempDir,
  type Example,
} from '../support/spool-fixture.js';
import { rootAndTmpfilesSkip } from '../support/skip-reasons.js';

const DAEMON = 4243;
const ATTACKER = 5103;
const VICTIM = 5104;
const RUNS = 3;

const skip = await rootAndTmpfilesSkip('runs programs as other users');

// Works, prints its result, and returns 3; with DROP_TO_UID it calls setuid first (a root process dropping privileges).
const PROG_C = `
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int lib_work(int n);
static int square(int x) { return x * x; }
int main(void) {
  int s = 0;
  for (int i = 0; i < 300; i++) { if (i & 1) s += square(i); else s ^= lib_work(i % 40); }
  const char *to = getenv("DROP_TO_UID");
  if (to != NULL && setuid(atoi(to)) != 0) { perror("setuid"); return 2; }
  printf("%d\\n", s);
  return 3;
}
`;

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program as `uid` with only the given environment (and PATH). */
function runAs(uid: number, exe: string, env: Record<string, string>): Outcome {
  const result = spawnSync(exe, [], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    uid,
    gid: uid,
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a shell command as `uid` (the attacker's moves). */
function shAs(uid: number, command: string): void {
  const result = spawnSync('/bin/sh', ['-c', command], { uid, gid: uid, encoding: 'utf8' });
  assert.equal(result.status, 0, `${command}: ${result.stderr}`);
}

const FORMATS = { clang: 'llvm', gcc: 'gcda', bolt: 'bolt' } as const;
type Toolchain = keyof typeof FORMATS;

/** Every file below `dir`, as paths relative to it. */
function filesBelow(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((rel) => lstatSync(join(dir, rel)).isFile());
}

/** The directories of `uid` in `<fmt>/`: `<uid>` and `<uid>.XXXXXX`, those it owns. */
function userDirs(formatDir: string, uid: number): string[] {
  return readdirSync(formatDir)
    .filter((name) => name === String(uid) || name.startsWith(`${uid}.`))
    .map((name) => join(formatDir, name))
    .filter((path) => {
      const st = lstatSync(path);
      return st.isDirectory() && st.uid === uid;
    });
}

/** The counts of every profile in `dirs`, summed as the daemon's merge would sum them. */
async function countsOf(toolchain: Toolchain, dirs: string[], work: string): Promise<Map<string, bigint>> {
  const total = new Map<string, bigint>();
  const add = (counts: Map<string, bigint>) => {
    for (const [k, v] of counts) total.set(k, (total.get(k) ?? 0n) + v);
  };
  for (const dir of dirs) {
    if (toolchain === 'clang') {
      const files = filesBelow(dir).map((f) => join(dir, f));
      if (files.length === 0) continue;
      const merged = join(work, `merged-${Math.random().toString(36).slice(2)}.profdata`);
      await run(LLVM_PROFDATA, ['merge', '-o', merged, ...files]);
      add(await clangCounts(merged));
    } else if (toolchain === 'gcc') {
      add(gccCounts(dir));
    } else {
      for (const [file, profile] of readFdataTree(dir)) {
        const id = file.slice(0, file.indexOf('.'));
        for (const [key, c] of profile) add(new Map([[`${id}\0${key}`, c.count]]));
      }
    }
  }
  return total;
}

describe('writers against a hostile second user', { skip }, () => {
  let root: string;
  let spool: string;
  const examples = new Map<Toolchain, Example>();
  const saved = new Map<string, string>();

  before(async () => {
    for (const name of ['protected_symlinks', 'protected_regular']) {
      const path = `/proc/sys/fs/${name}`;
      const value = readFileSync(path, 'utf8').trim();
      saved.set(path, value);
      if (value !== '0') writeFileSync(path, '0');
    }
    root = tempDir('hostile');
    spool = join(root, 'var/spool/nix-pgo');
    const rules = await evalJson<string[]>(
      `(import ${JSON.stringify(join(nixDir, 'nixos/spool.nix'))} { spoolDir = "/var/spool/nix-pgo"; user = "${DAEMON}"; group = "${DAEMON}"; }).rules`,
    );
    writeFileSync(join(root, 'nix-pgo.conf'), `${rules.join('\n')}\n`);
    await run('systemd-tmpfiles', ['--create', `--root=${root}`, join(root, 'nix-pgo.conf')]);
    // The attacker's home: where its own directories and targets are.
    mkdirSync(join(root, 'attacker'));
    chownSync(join(root, 'attacker'), ATTACKER, ATTACKER);
    const builds = join(root, 'builds');
    mkdirSync(builds);
    chmodSync(builds, 0o755);
    const sources = { prog: PROG_C, lib: LIB_C };
    const absent = join(root, 'no-default-spool');
    examples.set('clang', await buildClangExample(builds, 'hclang', sources, { defaultSpool: absent }));
    examples.set('gcc', await buildGccExample(builds, 'hgcc', join(absent, 'gcda'), sources));
    const bolt = await buildBoltExample(builds, 'hbolt', join(absent, 'bolt'), { prog: PROG_C });
    rmSync(absent, { recursive: true, force: true });
    examples.set('bolt', bolt);
  });

  after(() => {
    for (const [path, value] of saved) if (readFileSync(path, 'utf8').trim() !== value) writeFileSync(path, value);
  });

  /** Removes everything below the format directories, as root. */
  function clearSpool(): void {
    for (const format of Object.values(FORMATS)) {
      const dir = join(spool, format);
      for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
    }
  }

  const env = () => ({ NIX_PGO_SPOOL: spool });

  for (const toolchain of ['clang', 'gcc', 'bolt'] as const) {
    const format = FORMATS[toolchain];

    for (const victim of [VICTIM, 0]) {
      const who = victim === 0 ? 'root' : 'a user';

      it(`${toolchain}: ${who} whose directory another user took first (a file, a directory, a symlink) still writes every run, only into its own`, async () => {
        const example = examples.get(toolchain)!;
        const formatDir = join(spool, format);
        const own = join(formatDir, String(victim));
        const work = tempDir('hostile-counts');

        // One run on a clean spool: what every run must print and return, and its counts.
        clearSpool();
        const reference = runAs(victim, example.exe, env());
        assert.equal(reference.status, 3, reference.stderr);
        assert.equal(reference.stderr, '');
        assert.deepEqual(userDirs(formatDir, victim), [own]);
        const once = await countsOf(toolchain, [own], work);
        assert.ok(once.size > 0, 'one run writes counts');

        const bait = join(root, 'attacker', `bait-${toolchain}-${victim}`);
        for (const attack of ['file', 'directory', 'symlink'] as const) {
          clearSpool();
          rmSync(bait, { recursive: true, force: true });
          shAs(ATTACKER, `mkdir -m 0777 ${bait}`);
          if (attack === 'file') shAs(ATTACKER, `touch ${own} && chmod 0666 ${own}`);
          if (attack === 'directory') shAs(ATTACKER, `mkdir -m 0777 ${own}`);
          if (attack === 'symlink') shAs(ATTACKER, `ln -s ${bait} ${own}`);
          const taken = lstatSync(own);

          for (let i = 0; i < RUNS; i++) {
            const outcome = runAs(victim, example.exe, env());
            assert.deepEqual(
              outcome,
              reference,
              `${attack}: run ${i} prints and returns what it does without the attack`,
            );
          }

          // The attacker's object is as it was, and nothing went into or through it.
          const now = lstatSync(own);
          assert.equal(now.uid, ATTACKER, attack);
          assert.equal(now.ino, taken.ino, attack);
          if (attack === 'file') assert.equal(now.size, 0);
          if (attack === 'directory') assert.deepEqual(readdirSync(own), []);
          assert.deepEqual(readdirSync(bait), [], `${attack}: nothing written through the attacker's objects`);

          // Every run landed in a directory of the victim's own, made under another name.
          const dirs = userDirs(formatDir, victim);
          assert.ok(dirs.length >= 1, attack);
          for (const dir of dirs) {
            assert.match(dir, new RegExp(`/${victim}\\.[A-Za-z0-9]{6}$`));
            const st = statSync(dir);
            assert.equal(st.mode & 0o7777, 0o770, `${dir}: the victim's only, the ACL's mask lets the daemon in`);
            for (const rel of filesBelow(dir)) assert.equal(statSync(join(dir, rel)).uid, victim, rel);
          }
          const counts = await countsOf(toolchain, dirs, work);
          assert.deepEqual(counts, scaled(once, RUNS), `${attack}: ${RUNS} runs count exactly ${RUNS} times one run`);

          // The daemon's user (the ACL) reads them; the attacker cannot.
          const file = join(dirs[0]!, filesBelow(dirs[0]!)[0]!);
          assert.equal(spawnSync('/usr/bin/head', ['-c', '1', file], { uid: DAEMON, gid: DAEMON }).status, 0);
          assert.notEqual(spawnSync('/usr/bin/head', ['-c', '1', file], { uid: ATTACKER, gid: ATTACKER }).status, 0);
        }
      });
    }

    it(`${toolchain}: with no safe spool (missing, through another user's symlink, below a directory anybody may write in) the program writes nothing and says nothing`, () => {
      const example = examples.get(toolchain)!;
      clearSpool();
      const expected = runAs(VICTIM, example.exe, env());
      clearSpool();
      const pub = join(root, `pub-${toolchain}`); // a /tmp: anybody may create, only owners remove
      const open = join(root, `open-${toolchain}`);
      rmSync(pub, { recursive: true, force: true });
      rmSync(open, { recursive: true, force: true });
      mkdirSync(pub, { mode: 0o1777 });
      chmodSync(pub, 0o1777);
      shAs(ATTACKER, `ln -s ${spool} ${pub}/spool && mkdir -p ${pub}/own/${format} && chmod -R 0777 ${pub}/own`);
      mkdirSync(join(open, 'spool', format), { recursive: true });
      chmodSync(open, 0o777);
      chmodSync(join(open, 'spool', format), 0o1733);
      const cases: [string, Record<string, string>][] = [
        ['no variable, no spool baked in (a build sandbox)', {}],
        ['a spool that does not exist', { NIX_PGO_SPOOL: join(root, 'nowhere') }],
        ["a spool through another user's symlink", { NIX_PGO_SPOOL: join(pub, 'spool') }],
        ["a spool in another user's directory where anybody may create", { NIX_PGO_SPOOL: join(pub, 'own') }],
        ['a spool below a directory anybody may write in', { NIX_PGO_SPOOL: join(open, 'spool') }],
      ];
      for (const [what, variables] of cases) {
        for (const uid of [VICTIM, 0]) {
          const outcome = runAs(uid, example.exe, variables);
          assert.deepEqual(outcome, { ...expected, stderr: '' }, `${what}, uid ${uid}`);
        }
        assert.deepEqual(filesBelow(spool), [], what);
        assert.deepEqual(filesBelow(join(pub, 'own')), [], what);
        assert.deepEqual(filesBelow(open), [], what);
      }
    });

    it(`${toolchain}: a root process that calls setuid writes into the new user's directory`, async () => {
      const example = examples.get(toolchain)!;
      clearSpool();
      const outcome = runAs(0, example.exe, { ...env(), DROP_TO_UID: String(VICTIM) });
      assert.equal(outcome.status, 3, outcome.stderr);
      assert.equal(outcome.stderr, '');
      const victims = userDirs(join(spool, format), VICTIM);
      assert.deepEqual(victims, [join(spool, format, String(VICTIM))]);
      assert.ok(filesBelow(victims[0]!).length > 0);
      for (const rel of filesBelow(victims[0]!)) assert.equal(statSync(join(victims[0]!, rel)).uid, VICTIM);
      assert.deepEqual(filesBelow(join(spool, format, '0')), [], "nothing in root's directory");
    });
  }

  it('a symlink that only root can change (in a directory nobody else may write in) leads to the spool', () => {
    const example = examples.get('clang')!;
    clearSpool();
    const link = join(root, 'spool-link');
    rmSync(link, { force: true });
    symlinkSync(spool, link);
    chownSync(root, 0, 0);
    const outcome = runAs(VICTIM, example.exe, { NIX_PGO_SPOOL: link });
    assert.equal(outcome.status, 3, outcome.stderr);
    assert.ok(filesBelow(join(spool, 'llvm', String(VICTIM))).length > 0);
  });
});
