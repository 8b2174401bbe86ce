// The system-wide spool the NixOS module makes, for real: its tmpfiles rules
// (nix/nixos/spool.nix, rendered as NixOS renders systemd.tmpfiles.settings)
// applied by systemd-tmpfiles below a scratch root, on the disk's file system
// and on a tmpfs (the module's default), then instrumented programs (the
// example package set's clang and GCC variants) run as two users with the
// one variable everybody gets (NIX_PGO_SPOOL), and the daemon's user harvests.
//
// What it shows: every user's instrumented process writes into a directory of
// its own, and none prints anything or fails, whatever its umask; no user can
// list the spool, or read, rename, delete or write into another's file; the
// daemon's user can read, empty and remove every file; the daemon attributes
// each profile to the user who wrote it; the script that runs before the
// daemon gives a user's directories back to that user.
//
// Needs root (to run as other users and to mount a tmpfs), systemd-tmpfiles
// and the host compilers; skipped otherwise, saying which is missing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/process/run.js';
import { ToolError } from '../../src/errors/errors.js';
import { withDatabase } from '../../src/state/database.js';
import { listContributions } from '../../src/state/package-records.js';
import { stateLayout } from '../../src/state/state-layout.js';
import { buildExample, makeTempDir, repoRoot, examples } from '../support/nix.js';
import { evalJson, nixDir } from './nixos-support.js';
import { rootAndTmpfilesSkip } from '../support/skip-reasons.js';

const DAEMON = { uid: 4242, gid: 4242 };
const ALICE = { uid: 5001, gid: 5001 };
const BOB = { uid: 5002, gid: 5002 };
const SPOOL = '/var/spool/nix-pgo';

const skip = await rootAndTmpfilesSkip('runs programs as other users, mounts a tmpfs');

/** Runs a command as a user; resolves to its output, or to the ToolError it failed with. */
async function as(
  user: { uid: number; gid: number },
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  input?: string,
) {
  try {
    return await run(command, args, { user, env: { PATH: process.env.PATH, ...env }, input });
  } catch (error) {
    if (error instanceof ToolError) return error;
    throw error;
  }
}

function failedWith(result: unknown, pattern: RegExp): boolean {
  return result instanceof ToolError && pattern.test(result.stderr);
}

for (const fileSystem of ['disk', 'tmpfs'] as const) {
  describe(`the spool's permissions and attribution (${fileSystem})`, { skip }, () => {
    let root: string;
    let builds: string;
    let spool: string;
    let calc: string;
    let wordfreq: string;

    before(async () => {
      root = makeTempDir(`nixos-spool-${fileSystem}`);
      chmodSync(root, 0o755);
      spool = join(root, SPOOL);
      mkdirSync(spool, { recursive: true });
      if (fileSystem === 'tmpfs')
        await run('mount', ['-t', 'tmpfs', '-o', 'size=64M,mode=0755,nosuid,nodev,noexec', 'tmpfs', spool]);
      // The module's rules for a daemon user that exists nowhere but by its number.
      const rules = await evalJson<string[]>(
        `(import ${JSON.stringify(join(nixDir, 'nixos/spool.nix'))} { spoolDir = "${SPOOL}"; user = "${DAEMON.uid}"; group = "${DAEMON.gid}"; }).rules`,
      );
      writeFileSync(join(root, 'nix-pgo.conf'), `${rules.join('\n')}\n`);
      await run('systemd-tmpfiles', ['--create', `--root=${root}`, join(root, 'nix-pgo.conf')]);

      builds = makeTempDir('nixos-spool-builds');
      calc = await buildExample(builds, 'calc.pgo.profile');
      wordfreq = await buildExample(builds, 'wordfreq.pgo.profile');
    });

    after(async () => {
      if (fileSystem === 'tmpfs') await run('umount', [spool]).catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
      rmSync(builds, { recursive: true, force: true });
    });

    // The same for every user: each program finds its user's own directory.
    const profileEnv = (_uid: number) => ({ NIX_PGO_SPOOL: spool });
    const llvmOf = (user: { uid: number }) => join(spool, 'llvm', String(user.uid));

    it('the directories are as the module says: sticky, writable by all, listed by the daemon only', () => {
      const mode = (p: string) => (statSync(p).mode & 0o7777).toString(8);
      assert.equal(mode(spool), '755');
      for (const format of ['llvm', 'gcda', 'bolt']) assert.equal(mode(join(spool, format)), '1733');
      for (const dir of [spool, join(spool, 'llvm'), join(spool, 'gcda'), join(spool, 'bolt')])
        assert.equal(statSync(dir).uid, DAEMON.uid);
    });

    it("every user's instrumented programs write without a word on stderr, whatever their umask", async () => {
      for (const user of [ALICE, BOB]) {
        const env = profileEnv(user.uid);
        for (const umask of ['022', '077']) {
          const clang = await as(user, '/bin/sh', ['-c', `umask ${umask}; exec ${calc}/bin/calc 3`], env);
          assert.ok(!(clang instanceof ToolError), String(clang));
          assert.equal(clang.stderr, '');
          const gcc = await as(
            user,
            '/bin/sh',
            ['-c', `umask ${umask}; exec ${wordfreq}/bin/wordfreq`],
            env,
            'the cat the hat the bat\n',
          );
          assert.ok(!(gcc instanceof ToolError), String(gcc));
          assert.equal(gcc.stderr, '');
        }
      }
      assert.deepEqual(readdirSync(join(spool, 'llvm')).sort(), [String(ALICE.uid), String(BOB.uid)]);
      for (const user of [ALICE, BOB]) {
        for (const format of ['llvm', 'gcda']) {
          const dir = join(spool, format, String(user.uid));
          assert.equal(statSync(dir).uid, user.uid);
          // Under the default ACL the group bits are the mask: the daemon's entry gets through.
          assert.equal((statSync(dir).mode & 0o7777).toString(8), '770');
        }
        const files = readdirSync(llvmOf(user));
        assert.ok(files.length > 0);
        for (const f of files) assert.equal(statSync(join(llvmOf(user), f)).uid, user.uid);
      }
    });

    it("no user can list the spool, or read, rename, delete or write into another's data", async () => {
      const alices = readdirSync(llvmOf(ALICE));
      assert.ok(alices.length > 0);
      const file = join(llvmOf(ALICE), alices[0]!);
      assert.ok(failedWith(await as(BOB, 'ls', [join(spool, 'llvm')]), /Permission denied/));
      assert.ok(failedWith(await as(BOB, 'ls', [llvmOf(ALICE)]), /Permission denied/));
      assert.ok(failedWith(await as(BOB, 'mv', [llvmOf(ALICE), `${llvmOf(ALICE)}.bob`]), /Operation not permitted/));
      assert.ok(failedWith(await as(BOB, 'ls', [join(spool, 'gcda')]), /Permission denied/));
      assert.ok(failedWith(await as(BOB, 'ls', [join(spool, 'gcda', String(ALICE.uid))]), /Permission denied/));
      assert.ok(failedWith(await as(BOB, 'cat', [file]), /Permission denied/));
      assert.ok(failedWith(await as(BOB, 'mv', [file, `${file}.bob`]), /Permission denied/));
      assert.ok(failedWith(await as(BOB, 'rm', ['-f', file]), /Permission denied/));
      assert.ok(failedWith(await as(BOB, '/bin/sh', ['-c', `echo x >> ${file}`]), /Permission denied/));
    });

    it("the daemon's user reads every user's data, empties and removes it", async () => {
      const files = readdirSync(llvmOf(ALICE));
      const file = join(llvmOf(ALICE), files[0]!);
      const read = await as(DAEMON, 'head', ['-c', '8', file]);
      assert.ok(!(read instanceof ToolError), String(read));
      const gcdaFile = await as(DAEMON, 'find', [join(spool, 'gcda', String(BOB.uid)), '-name', '*.gcda']);
      assert.ok(!(gcdaFile instanceof ToolError), String(gcdaFile));
      const gcda = gcdaFile.stdout.trim().split('\n')[0]!;
      assert.ok(gcda.endsWith('.gcda'), gcdaFile.stdout);
      assert.ok(!((await as(DAEMON, 'truncate', ['-s', '0', gcda])) instanceof ToolError));
      assert.ok(!((await as(DAEMON, 'rm', [file])) instanceof ToolError));
    });

    it('the daemon attributes each profile to the user who wrote it', async () => {
      const state = join(root, 'state');
      mkdirSync(state);
      chownSync(state, DAEMON.uid, DAEMON.gid);
      const config = join(root, 'config.json');
      writeFileSync(
        config,
        JSON.stringify({
          stateDir: state,
          spoolDir: spool,
          trustedUsers: [ALICE.uid, BOB.uid],
          packages: { calc: { nixFile: examples }, wordfreq: { nixFile: examples } },
        }),
      );
      for (const user of [ALICE, BOB]) {
        await as(user, `${calc}/bin/calc`, ['5'], profileEnv(user.uid));
        await as(user, `${wordfreq}/bin/wordfreq`, [], profileEnv(user.uid), 'a b a\n');
      }
      const cli = join(repoRoot, 'dist/src/cli/main.js');
      const harvest = await as(
        DAEMON,
        process.execPath,
        [
          cli,
          'harvest',
          `calc=${calc}/nix-support/pgo.json`,
          `wordfreq=${wordfreq}/nix-support/pgo.json`,
          '--config',
          config,
        ],
        { HOME: state },
      );
      assert.ok(!(harvest instanceof ToolError), String(harvest instanceof ToolError ? harvest.stderr : ''));
      const contributors = await withDatabase(stateLayout(state, spool).database, (db) => ({
        calc: listContributions(db, 'calc').map((c) => c.contributor),
        wordfreq: listContributions(db, 'wordfreq').map((c) => c.contributor),
      }));
      assert.deepEqual(contributors, { calc: [ALICE.uid, BOB.uid], wordfreq: [ALICE.uid, BOB.uid] });
    });

    it("before the daemon starts, a user's directories are given back to that user", async () => {
      // `nobody` exists on every system; someone else took its directories first.
      const nobody = Number((await run('id', ['-u', 'nobody'])).stdout.trim());
      const taken = (format: string) => join(spool, format, String(nobody));
      await as(ALICE, 'mkdir', ['-m', '0777', taken('gcda')]);
      await as(ALICE, 'touch', [join(taken('gcda'), 'bait.gcda')]);
      await as(ALICE, 'touch', [taken('llvm')]);
      await as(ALICE, 'ln', ['-s', '/etc', taken('bolt')]);
      assert.equal(statSync(taken('gcda')).uid, ALICE.uid);
      const script = await evalJson<string>(
        `(import ${JSON.stringify(join(nixDir, 'nixos/spool.nix'))} { spoolDir = ${JSON.stringify(spool)}; user = "x"; group = "x"; }).prepareScript { users = [ "nobody" "no-such-user" ]; }`,
      );
      const { stderr } = await run('/bin/sh', ['-eu', '-c', script]);
      for (const format of ['llvm', 'gcda', 'bolt']) {
        assert.match(stderr, new RegExp(`${format}/${nobody} does not belong to nobody`));
        const st = lstatSync(taken(format));
        assert.ok(st.isDirectory(), format);
        assert.equal(st.uid, nobody, format);
        assert.deepEqual(readdirSync(taken(format)), []);
        // It has the ACL of its format directory: the daemon's user may enter it, nobody else.
        assert.ok(!((await as(DAEMON, 'ls', [taken(format)])) instanceof ToolError));
        assert.ok(failedWith(await as(ALICE, 'ls', [taken(format)]), /Permission denied/));
      }
      assert.ok(existsSync('/etc/passwd'), 'the link was removed, not followed');
    });
  });
}
