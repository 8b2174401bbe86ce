import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Command, OptionSpecs } from '../../src/cli/command.js';
import { createHelpCommand } from '../../src/cli/commands/help.js';
import { runCli } from '../../src/cli/run-cli.js';
import { InputError, ToolError } from '../../src/errors/errors.js';

const echoOptions = {
  tag: { type: 'string' },
  count: { type: 'integer', min: 1, max: 9 },
} as const satisfies OptionSpecs;

interface Echo {
  positionals: string[];
  options: { tag?: string; count?: number; json?: true };
}

const echo: Command<Echo, typeof echoOptions> = {
  name: 'echo',
  summary: 'print the arguments back',
  usage: 'nix-pgo echo [WORDS] [--tag VALUE] [--count N]',
  options: echoOptions,
  async run(args) {
    return args;
  },
  render(result) {
    return `echo ${result.positionals.join(' ')}`;
  },
  exitCode(result) {
    return result.positionals.includes('fail') ? 3 : 0;
  },
};

const broken: Command<never> = {
  name: 'broken',
  summary: 'always fails',
  usage: 'nix-pgo broken [--bug]',
  options: { bug: { type: 'flag' } },
  async run(args) {
    if (args.options.bug) throw new TypeError('oops');
    throw new ToolError('TOOL_MISSING', 'nix-build', 'nix-build is not installed', { hints: ['install Nix'] });
  },
  render() {
    return '';
  },
};

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const commands = [echo, broken] as Command[];
  commands.push(createHelpCommand(() => commands));
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    commands,
    version: '1.2.3',
    io: {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
    },
  });
  return { code, stdout, stderr };
}

describe('runCli', () => {
  it('runs a command and prints its rendering with its exit code', async () => {
    assert.deepEqual(await cli('echo', 'a', 'b'), { code: 0, stdout: 'echo a b\n', stderr: '' });
    assert.equal((await cli('echo', 'fail')).code, 3);
  });

  it('prints the result itself as JSON with --json, before or after the command', async () => {
    for (const argv of [
      ['echo', 'x', '--tag', 't', '--json'],
      ['--json', 'echo', 'x', '--tag', 't'],
    ]) {
      const { code, stdout } = await cli(...argv);
      assert.equal(code, 0);
      assert.deepEqual(JSON.parse(stdout), { positionals: ['x'], options: { tag: 't', json: true } });
    }
  });

  it('prints the version', async () => {
    assert.deepEqual(await cli('--version'), { code: 0, stdout: 'nix-pgo 1.2.3\n', stderr: '' });
    assert.deepEqual(JSON.parse((await cli('--version', '--json')).stdout), { version: '1.2.3' });
  });

  it('lists the commands for help, and on stderr with status 64 when no command is given', async () => {
    const help = await cli('help');
    assert.equal(help.code, 0);
    for (const name of ['echo', 'broken', 'help']) assert.match(help.stdout, new RegExp(`^  ${name} +`, 'm'));
    assert.equal((await cli('--help')).stdout, help.stdout);
    const bare = await cli();
    assert.equal(bare.code, 64);
    assert.equal(bare.stderr, help.stdout);
    assert.equal(bare.stdout, '');
  });

  it("shows one command's usage for help COMMAND and COMMAND --help", async () => {
    const expected = 'nix-pgo echo: print the arguments back\n\nnix-pgo echo [WORDS] [--tag VALUE] [--count N]\n';
    assert.equal((await cli('help', 'echo')).stdout, expected);
    assert.equal((await cli('echo', '--help')).stdout, expected);
  });

  it('answers an unknown command with status 64, a suggestion and the list of commands', async () => {
    const { code, stdout, stderr } = await cli('ecko');
    assert.equal(code, 64);
    assert.equal(stdout, '');
    assert.equal(
      stderr,
      'nix-pgo: unknown command: ecko\n  hint: did you mean echo?\n  hint: commands: echo, broken, help\n',
    );
    assert.equal((await cli('help', 'nope')).code, 64);
  });

  it('hands the command a number option as a number, and refuses a bad one with status 64', async () => {
    assert.deepEqual(JSON.parse((await cli('echo', '--count=3', '--json')).stdout).options, { count: 3, json: true });
    const bad = await cli('echo', '--count', 'three');
    assert.equal(bad.code, 64);
    assert.equal(
      bad.stderr,
      'nix-pgo: --count must be a whole number from 1 to 9, not "three"\n  hint: see: nix-pgo help echo\n',
    );
    const json = await cli('echo', '--count=0', '--json');
    assert.equal(json.code, 64);
    assert.equal(JSON.parse(json.stdout).error.code, 'USAGE');
  });

  it('turns an error into its message, hints and exit code', async () => {
    assert.deepEqual(await cli('broken'), {
      code: 69,
      stdout: '',
      stderr: 'nix-pgo: nix-build is not installed\n  hint: install Nix\n',
    });
    assert.equal((await cli('echo', '--tga', 'x')).code, 64);
  });

  it('prints the error as JSON on stdout too with --json', async () => {
    const { code, stdout, stderr } = await cli('broken', '--json');
    assert.equal(code, 69);
    assert.deepEqual(JSON.parse(stdout), {
      error: { code: 'TOOL_MISSING', message: 'nix-build is not installed', hints: ['install Nix'] },
    });
    assert.match(stderr, /^nix-pgo: nix-build is not installed/);
  });

  it('reports an unexpected exception as an internal error with its stack and status 70', async () => {
    const { code, stderr } = await cli('broken', '--bug');
    assert.equal(code, 70);
    assert.match(stderr, /^nix-pgo: internal error: TypeError: oops\n\s+at /);
  });

  it('uses the usage error status for a usage InputError thrown by a command', async () => {
    const failing: Command<never> = {
      ...broken,
      name: 'usage',
      options: {},
      run: async () => {
        throw new InputError('USAGE', 'bad');
      },
    };
    const code = await runCli(['usage'], {
      commands: [failing],
      version: '0',
      io: { stdout: () => {}, stderr: () => {} },
    });
    assert.equal(code, 64);
  });
});
