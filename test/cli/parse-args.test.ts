import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exitCodeFor, InputError } from '../../src/errors/errors.js';
import type { OptionSpecs } from '../../src/cli/command.js';
import { parseArgs, splitCommand } from '../../src/cli/parse-args.js';

const spec = { config: { type: 'string' }, force: { type: 'flag' } } as const satisfies OptionSpecs;
const numeric = {
  'tick-ms': { type: 'integer', min: 10, max: 3_600_000 },
  keep: { type: 'integer', min: 1 },
  offset: { type: 'integer' },
} as const satisfies OptionSpecs;

function usageError(pattern: RegExp) {
  return (error: unknown) => error instanceof InputError && exitCodeFor(error) === 64 && pattern.test(error.message);
}

describe('splitCommand', () => {
  it('takes the first non-option word as the command and keeps the rest in order', () => {
    assert.deepEqual(splitCommand(['--json', 'status', 'hello', '--all']), {
      name: 'status',
      rest: ['--json', 'hello', '--all'],
    });
    assert.deepEqual(splitCommand(['check-config']), { name: 'check-config', rest: [] });
  });

  it('finds no command in options alone or after --', () => {
    assert.deepEqual(splitCommand(['--version']), { name: undefined, rest: ['--version'] });
    assert.deepEqual(splitCommand([]), { name: undefined, rest: [] });
    assert.deepEqual(splitCommand(['--', 'x']), { name: undefined, rest: ['--', 'x'] });
  });
});

describe('parseArgs with a spec', () => {
  it('parses positionals, --name VALUE, --name=VALUE, flags and the global --json', () => {
    assert.deepEqual(parseArgs(['a', '--config', 'c.json', 'b', '--force', '--json'], spec), {
      positionals: ['a', 'b'],
      options: { config: 'c.json', force: true, json: true },
    });
    assert.deepEqual(parseArgs(['--config=x=y'], spec).options, { config: 'x=y' });
  });

  it('takes a value that looks like an option when the option needs one', () => {
    assert.deepEqual(parseArgs(['--config', '--force'], spec).options, { config: '--force' });
  });

  it('treats everything after -- and a lone - as positionals', () => {
    assert.deepEqual(parseArgs(['-', '--', '--force', '-x'], spec), {
      positionals: ['-', '--force', '-x'],
      options: {},
    });
  });

  it('maps -h to --help', () => {
    assert.deepEqual(parseArgs(['-h'], spec).options, { help: true });
  });

  it('lets the last of a repeated option win', () => {
    assert.deepEqual(parseArgs(['--config', 'a', '--config', 'b'], spec).options, { config: 'b' });
  });

  it('rejects unknown options with a suggestion', () => {
    assert.throws(
      () => parseArgs(['--forse'], spec, 'build'),
      (error: unknown) => {
        assert.ok(usageError(/^unknown option --forse for build$/)(error));
        assert.deepEqual((error as InputError).hints, ['did you mean --force?', 'see: nix-pgo help build']);
        return true;
      },
    );
    assert.throws(() => parseArgs(['-x'], spec), usageError(/unknown option -x/));
  });

  it('rejects a missing value, a value for a flag and an empty option name', () => {
    assert.throws(() => parseArgs(['--config'], spec), usageError(/--config needs a value/));
    assert.throws(() => parseArgs(['--force=yes'], spec), usageError(/--force takes no value/));
    assert.throws(() => parseArgs(['--=x'], spec), usageError(/not an option name/));
  });
});

describe('parseArgs with integer options', () => {
  it('gives the command numbers, written either way and signed', () => {
    const { options } = parseArgs(['--tick-ms', '250', '--keep=3', '--offset', '-7'], numeric);
    assert.deepEqual(options, { 'tick-ms': 250, keep: 3, offset: -7 });
    assert.equal(typeof options['tick-ms'], 'number');
    assert.deepEqual(parseArgs(['--tick-ms=10', '--keep', '+2'], numeric).options, { 'tick-ms': 10, keep: 2 });
    assert.deepEqual(parseArgs(['--tick-ms', '3600000'], numeric).options, { 'tick-ms': 3_600_000 });
  });

  it('rejects what is not a whole number, naming the option, the value and the range', () => {
    for (const bad of ['abc', '', '1.5', '1e3', '0x10', ' 5', '5ms', 'Infinity', '99999999999999999999']) {
      assert.throws(
        () => parseArgs(['--tick-ms', bad], numeric, 'daemon'),
        (error: unknown) => {
          assert.ok(usageError(/^--tick-ms must be a whole number from 10 to 3600000, not /)(error), String(error));
          assert.ok((error as InputError).message.endsWith(`not ${JSON.stringify(bad)}`));
          assert.deepEqual((error as InputError).hints, ['see: nix-pgo help daemon']);
          return true;
        },
      );
    }
  });

  it('rejects numbers outside the range, whichever way they are written', () => {
    for (const argv of [
      ['--tick-ms=0'],
      ['--tick-ms', '-5'],
      ['--tick-ms=-5'],
      ['--tick-ms', '9'],
      ['--tick-ms', '3600001'],
    ]) {
      assert.throws(
        () => parseArgs(argv, numeric, 'daemon'),
        usageError(/^--tick-ms must be a whole number from 10 to 3600000, not "/),
        argv.join(' '),
      );
    }
    assert.throws(
      () => parseArgs(['--keep', '0'], numeric, 'gc'),
      usageError(/^--keep must be a whole number ≥ 1, not "0"$/),
    );
    assert.throws(
      () => parseArgs(['--offset', '1.5'], numeric),
      usageError(/^--offset must be a whole number, not "1.5"$/),
    );
  });

  it('still needs a value', () => {
    assert.throws(() => parseArgs(['--keep'], numeric), usageError(/--keep needs a value/));
  });
});

describe('parseArgs and the global options', () => {
  it('accepts --json and --help with any spec, also the empty one', () => {
    assert.deepEqual(parseArgs(['--json', 'pkg', '--help'], {}), {
      positionals: ['pkg'],
      options: { json: true, help: true },
    });
  });

  it('rejects every undeclared option: there is no lenient mode', () => {
    assert.throws(
      () => parseArgs(['--spool', '/s'], {}, 'check-config'),
      usageError(/^unknown option --spool for check-config$/),
    );
    assert.throws(
      () => parseArgs(['--jsno'], {}, 'help'),
      (error: unknown) => {
        assert.deepEqual((error as InputError).hints, ['did you mean --json?', 'see: nix-pgo help help']);
        return true;
      },
    );
  });
});
