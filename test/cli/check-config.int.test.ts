/**
 * The compiled CLI as a user runs it: a real process, real files, real exit codes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
let dir = '';

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nix-pgo-cli-'));
  await writeFile(path.join(dir, 'packages.nix'), '{ }\n');
  await writeFile(path.join(dir, 'notify.sh'), '#!/bin/sh\ncat >/dev/null\n');
  await chmod(path.join(dir, 'notify.sh'), 0o755);
  await writeFile(
    path.join(dir, 'good.json'),
    JSON.stringify({
      nixFile: './packages.nix',
      policy: { thresholdMB: 2 },
      notify: { hook: './notify.sh' },
      packages: { hello: {}, lua: { attr: 'lua5_4', policy: { minRuns: 5, convergence: 0.99, onReady: 'notify' } } },
    }),
  );
  await writeFile(
    path.join(dir, 'bad.json'),
    JSON.stringify({
      stateDri: '/var/lib/nix-pgo',
      policy: { thresholdMB: 0, convergence: 1.5 },
      notify: { hook: './no-such-hook' },
      packages: {
        hello: { nixFile: './packages.nix', atr: 'hello' },
        lua: { nixFile: './lua.nix', policy: { minRuns: -2 } },
      },
    }),
  );
  await writeFile(path.join(dir, 'syntax.json'), '{ "packages": { "hello": {}, } }');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

// run() from src/process reports a failing status as an error without stdout, which these tests check.
function nixPgo(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return nixPgoWith({}, ...args);
}

/**
 * With extra environment variables. A command that should fail at once but runs
 * on (a daemon) is stopped after 15 s, so its test fails instead of hanging.
 */
function nixPgoWith(
  env: Record<string, string>,
  ...args: string[]
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [MAIN, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: dir, ...env },
    encoding: 'utf8',
    timeout: 15_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('nix-pgo check-config', () => {
  it('accepts a good config, exits 0 and summarizes it', () => {
    const { status, stdout, stderr } = nixPgo('check-config', 'good.json');
    assert.equal(stderr, '');
    assert.equal(status, 0);
    assert.match(stdout, new RegExp(`^OK: ${path.join(dir, 'good.json')}\n`));
    assert.match(stdout, new RegExp(`state dir +${path.join(dir, '.local/state/nix-pgo')}\n`));
    assert.match(stdout, /2 packages:/);
    assert.match(
      stdout,
      new RegExp(`hello +hello from ${path.join(dir, 'packages.nix')} \\(profiles through --arg pgoProfiles\\)`),
    );
    assert.match(stdout, /lua +lua5_4 from .*\n +ready at 2G counts, 5 runs, overlap ≥ 0\.99, then notify/);
  });

  it('prints the normalized config with --json', () => {
    const { status, stdout } = nixPgo('check-config', 'good.json', '--json');
    assert.equal(status, 0);
    const result = JSON.parse(stdout);
    assert.equal(result.ok, true);
    assert.deepEqual(result.problems, []);
    assert.equal(result.config.notify.hook, path.join(dir, 'notify.sh'));
    assert.deepEqual(
      result.config.packages.map((p: { name: string; attr: string; policy: { thresholdCounts: number } }) => [
        p.name,
        p.attr,
        p.policy.thresholdCounts,
      ]),
      [
        ['hello', 'hello', 2e9],
        ['lua', 'lua5_4', 2e9],
      ],
    );
  });

  it('lists every problem of a bad config in one run and exits 65', () => {
    const { status, stdout } = nixPgo('check-config', 'bad.json');
    assert.equal(status, 65);
    const expected = [
      'stateDri: unknown key',
      'policy.thresholdMB: must be a number > 0, not 0',
      'policy.convergence: must be a number > 0 and ≤ 1, not 1.5',
      'notify.hook: ',
      'packages.hello.atr: unknown key',
      'packages.lua.policy.minRuns: must be a whole number ≥ 0, not -2',
      `packages.lua.nixFile: ${path.join(dir, 'lua.nix')} does not exist`,
    ];
    assert.match(stdout, new RegExp(`^${path.join(dir, 'bad.json')}: ${expected.length} problems\n`));
    for (const line of expected) assert.ok(stdout.includes(`  - ${line}`), `missing: ${line}\n${stdout}`);
    assert.match(stdout, /stateDri: unknown key\n {4}fix: did you mean "stateDir"\?/);
    assert.equal(stdout.match(/^ {4}fix: /gm)?.length, expected.length, 'every problem has a fix');
  });

  it('gives the problems as data with --json', () => {
    const { status, stdout } = nixPgo('check-config', '--json', 'bad.json');
    assert.equal(status, 65);
    const result = JSON.parse(stdout);
    assert.equal(result.ok, false);
    assert.equal(result.config, null);
    assert.deepEqual(result.problems.map((p: { path: string }) => p.path).sort(), [
      'notify.hook',
      'packages.hello.atr',
      'packages.lua.nixFile',
      'packages.lua.policy.minRuns',
      'policy.convergence',
      'policy.thresholdMB',
      'stateDri',
    ]);
  });

  it('points at a JSON syntax error', () => {
    const { status, stdout } = nixPgo('check-config', 'syntax.json');
    assert.equal(status, 65);
    assert.match(stdout, /is not valid JSON: .*\(line 1, column 30\)/);
  });

  it('reports a named file that does not exist', () => {
    const { status, stdout } = nixPgo('check-config', 'nope.json');
    assert.equal(status, 65);
    assert.match(stdout, /nope\.json: 1 problem\n {2}- does not exist/);
  });

  it('reports a file named by NIX_PGO_CONFIG that does not exist', () => {
    const { status, stdout } = nixPgoWith({ NIX_PGO_CONFIG: 'nope.json' }, 'check-config');
    assert.equal(status, 65);
    assert.match(
      stdout,
      /nope\.json: 1 problem\n {2}- does not exist \(named by \$NIX_PGO_CONFIG\)\n {4}fix: set NIX_PGO_CONFIG to an existing config file, or unset it/,
    );
  });

  it('reads the file named by NIX_PGO_CONFIG', () => {
    const { status, stdout } = nixPgoWith({ NIX_PGO_CONFIG: 'good.json' }, 'check-config');
    assert.equal(status, 0);
    assert.match(stdout, new RegExp(`^OK: ${path.join(dir, 'good.json')}\n`));
  });

  it('accepts the absent default config as the defaults', () => {
    const { status, stdout } = nixPgo('check-config');
    assert.equal(status, 0);
    assert.match(stdout, /^OK: no config file at .*\.config\/nix-pgo\/config\.json; the defaults apply\n/);
    assert.match(stdout, /0 packages/);
  });

  it('with --sandbox checks files in the Nix store only, and lists the others as not checked', () => {
    // What a NixOS system build sees: the config and its Nix file in the store, a hook and a file elsewhere not there (yet).
    const storeNix = spawnSync('nix-store', ['--add', path.join(dir, 'packages.nix')], {
      encoding: 'utf8',
    }).stdout.trim();
    assert.match(storeNix, /^\/nix\/store\/[a-z0-9]{32}-packages\.nix$/);
    const config = {
      nixFile: storeNix,
      notify: { hook: '/nonexistent/hook.sh' },
      packages: { a: {}, b: { nixFile: '/nonexistent/b.nix' } },
    };
    const file = path.join(dir, 'sandbox.json');
    writeFileSync(file, JSON.stringify(config));

    const strict = nixPgo('check-config', 'sandbox.json');
    assert.equal(strict.status, 65, 'the default stays strict');
    assert.match(strict.stdout, /notify\.hook: \/nonexistent\/hook\.sh does not exist/);
    assert.match(strict.stdout, /packages\.b\.nixFile: \/nonexistent\/b\.nix does not exist/);

    const sandbox = nixPgo('check-config', 'sandbox.json', '--sandbox');
    assert.equal(sandbox.status, 0, sandbox.stdout);
    assert.match(sandbox.stdout, /^OK: /);
    assert.match(
      sandbox.stdout,
      /\n {2}not checked \(outside the Nix store, --sandbox\):\n {4}notify\.hook {2}\/nonexistent\/hook\.sh\n {4}packages\.b\.nixFile {2}\/nonexistent\/b\.nix\n$/,
    );
    const json = JSON.parse(nixPgo('check-config', 'sandbox.json', '--sandbox', '--json').stdout);
    assert.deepEqual(json.unchecked.map((r: { path: string }) => r.path).sort(), ['notify.hook', 'packages.b.nixFile']);

    // Everything else is checked as always: values, and files in the store.
    writeFileSync(
      file,
      JSON.stringify({
        ...config,
        nixFile: '/nix/store/00000000000000000000000000000000-missing.nix',
        policy: { thresholdMB: 0 },
      }),
    );
    const bad = nixPgo('check-config', 'sandbox.json', '--sandbox');
    assert.equal(bad.status, 65);
    assert.match(bad.stdout, /: 2 problems\n/);
    assert.match(bad.stdout, /policy\.thresholdMB: must be a number > 0/);
    assert.match(bad.stdout, /- nixFile: \/nix\/store\/0{32}-missing\.nix does not exist/);
  });

  it('refuses two files as a usage error', () => {
    const { status, stderr } = nixPgo('check-config', 'a.json', 'b.json');
    assert.equal(status, 64);
    assert.match(stderr, /^nix-pgo: check-config takes one file, not 2\n {2}hint: usage: /);
  });
});

describe('nix-pgo frame', () => {
  it('prints the version of package.json', () => {
    const { status, stdout } = nixPgo('--version');
    assert.equal(status, 0);
    assert.match(stdout, /^nix-pgo \d+\.\d+\.\d+\S*\n$/);
  });

  it('lists the commands for help', () => {
    const { status, stdout } = nixPgo('help');
    assert.equal(status, 0);
    assert.match(stdout, /^ {2}check-config +check a config file/m);
    assert.match(stdout, /^ {2}help +/m);
  });

  it('answers an unknown command with the list of commands and exit 64', () => {
    const { status, stdout, stderr } = nixPgo('chek-config', 'good.json');
    assert.equal(status, 64);
    assert.equal(stdout, '');
    assert.match(
      stderr,
      /^nix-pgo: unknown command: chek-config\n {2}hint: did you mean check-config\?\n {2}hint: commands: .*check-config.*help/,
    );
  });

  it('refuses a daemon with a config named by NIX_PGO_CONFIG that does not exist, before creating any state', () => {
    const stateDir = path.join(dir, 'daemon-state');
    const { status, stderr } = nixPgoWith(
      { NIX_PGO_CONFIG: '/nonexistent/config.json', XDG_STATE_HOME: stateDir },
      'daemon',
    );
    assert.equal(status, 65, stderr);
    assert.match(
      stderr,
      /^nix-pgo: \/nonexistent\/config\.json: 1 problem\n {2}- does not exist \(named by \$NIX_PGO_CONFIG\)/,
    );
    assert.equal(existsSync(stateDir), false, 'no state directory is created');
  });

  it('refuses a bad number for every numeric option with exit 64, naming the option, the value and the range', () => {
    const cases: [string[], RegExp][] = [
      [
        ['daemon', '--tick-ms=abc'],
        /^nix-pgo: --tick-ms must be a whole number from 10 to 3600000, not "abc"\n {2}hint: see: nix-pgo help daemon\n$/,
      ],
      [['daemon', '--tick-ms', '0'], /^nix-pgo: --tick-ms must be a whole number from 10 to 3600000, not "0"\n/],
      [['daemon', '--tick-ms', '-5'], /^nix-pgo: --tick-ms must be a whole number from 10 to 3600000, not "-5"\n/],
      [['gc', '--keep', 'abc'], /^nix-pgo: --keep must be a whole number ≥ 1, not "abc"\n/],
      [['gc', '--keep=0'], /^nix-pgo: --keep must be a whole number ≥ 1, not "0"\n/],
      [['env', '--uid='], /^nix-pgo: --uid must be a whole number from 0 to 4294967294, not ""\n/],
      [['env', '--uid', '-1'], /^nix-pgo: --uid must be a whole number from 0 to 4294967294, not "-1"\n/],
    ];
    const stateDir = path.join(dir, 'numeric-state');
    for (const [argv, message] of cases) {
      const { status, stdout, stderr } = nixPgoWith({ XDG_STATE_HOME: stateDir }, ...argv);
      assert.equal(status, 64, `${argv.join(' ')}: ${stderr}`);
      assert.equal(stdout, '');
      assert.match(stderr, message, argv.join(' '));
    }
    assert.equal(existsSync(stateDir), false, 'no command got as far as the state directory');
  });

  it('suggests the option a typo meant', () => {
    const { status, stderr } = nixPgo('daemon', '--tickms', '100');
    assert.equal(status, 64);
    assert.equal(
      stderr,
      'nix-pgo: unknown option --tickms for daemon\n  hint: did you mean --tick-ms?\n  hint: see: nix-pgo help daemon\n',
    );
  });

  it('shows usage and exits 64 without a command', () => {
    const { status, stderr } = nixPgo();
    assert.equal(status, 64);
    assert.match(stderr, /^usage: nix-pgo COMMAND/);
  });
});
