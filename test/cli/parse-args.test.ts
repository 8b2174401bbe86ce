import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exitCodeFor, InputError } from '../../src/errors/errors.js';
import { parseArgs, splitCommand } from '../../src/cli/parse-args.js';

const spec = { config: 'value', force: 'flag' } as const;

function usageError(pattern: RegExp) {
  return (error: unknown) => error instanceof InputError && exitCodeFor(error) === 64 && pattern.test(error.message);
}

describe('splitCommand', () => {
  it('takes the first non-option word as the command and keeps the rest in order', () => {
    assert.deepEqual(splitCommand(['--json', 'status', 'hello', '--all']), { name: 'status', rest: ['--json', 'hello', '--all'] });
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
    assert.deepEqual(parseArgs(['-', '--', '--force', '-x'], spec), { positionals: ['-', '--force', '-x'], options: {} });
  });

  it('maps -h to --help', () => {
    assert.deepEqual(parseArgs(['-h'], spec).options, { help: true });
  });

  it('lets the last of a repeated option win', () => {
    assert.deepEqual(parseArgs(['--config', 'a', '--config', 'b'], spec).options, { config: 'b' });
  });

  it('rejects unknown options with a suggestion', () => {
    assert.throws(() => parseArgs(['--forse'], spec, 'build'), (error: unknown) => {
      assert.ok(usageError(/^unknown option --forse for build$/)(error));
      assert.deepEqual((error as InputError).hints, ['did you mean --force?', 'see: nix-pgo help build']);
      return true;
    });
    assert.throws(() => parseArgs(['-x'], spec), usageError(/unknown option -x/));
  });

  it('rejects a missing value, a value for a flag and an empty option name', () => {
    assert.throws(() => parseArgs(['--config'], spec), usageError(/--config needs a value/));
    assert.throws(() => parseArgs(['--force=yes'], spec), usageError(/--force takes no value/));
    assert.throws(() => parseArgs(['--=x'], spec), usageError(/not an option name/));
  });
});

describe('parseArgs without a spec', () => {
  it('takes a following word as the value of an undeclared option', () => {
    assert.deepEqual(parseArgs(['--spool', '/s', 'pkg', '--dry-run', '--json'], undefined), {
      positionals: ['pkg'],
      options: { spool: '/s', 'dry-run': true, json: true },
    });
  });

  it('keeps the global flags as flags', () => {
    assert.deepEqual(parseArgs(['--json', 'pkg'], undefined), { positionals: ['pkg'], options: { json: true } });
  });
});
