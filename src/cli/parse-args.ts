/**
 * Command line → command name and ParsedArgs (pure). Node's util.parseArgs
 * splits the words into options and positionals; this file checks them against
 * the command's OptionSpecs, so that a mistyped option gets a suggestion and a
 * numeric option reaches the command as a number within its range.
 */
import { parseArgs as parseWords, type ParseArgsConfig } from 'node:util';
import { InputError } from '../errors/errors.js';
import { suggestName } from '../suggest/suggest-name.js';
import type { IntegerOption, OptionSpec, OptionSpecs, OptionValues, ParsedArgs } from './command.js';

/** Options every command accepts; run-cli acts on them. */
export const GLOBAL_OPTIONS = {
  json: { type: 'flag' },
  help: { type: 'flag', short: 'h' },
} as const satisfies OptionSpecs;

function usageError(message: string, hints: string[] = []): InputError {
  return new InputError('USAGE', message, { hints });
}

/**
 * Splits off the command name: the first argument that is not an option.
 * Options before it stay in `rest` (e.g. `nix-pgo --json status`).
 */
export function splitCommand(argv: readonly string[]): { name: string | undefined; rest: string[] } {
  const index = argv.findIndex((arg) => arg === '--' || !arg.startsWith('-') || arg === '-');
  if (index === -1 || argv[index] === '--') return { name: undefined, rest: [...argv] };
  return { name: argv[index], rest: [...argv.slice(0, index), ...argv.slice(index + 1)] };
}

/** The accepted range in words: `from 10 to 3600000`, `≥ 1`. */
export function describeRange(spec: IntegerOption): string {
  const { min, max } = spec;
  if (min !== undefined && max !== undefined) return `from ${min} to ${max}`;
  if (min !== undefined) return `≥ ${min}`;
  if (max !== undefined) return `≤ ${max}`;
  return '';
}

function parseInteger(option: string, raw: string, spec: IntegerOption, commandName: string): number {
  const value = /^[+-]?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  const min = spec.min ?? Number.MIN_SAFE_INTEGER;
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  if (Number.isSafeInteger(value) && value >= min && value <= max) return value;
  const wants = `a whole number ${describeRange(spec)}`.trimEnd();
  throw usageError(`${option} must be ${wants}, not ${JSON.stringify(raw)}`, [`see: nix-pgo help ${commandName}`]);
}

function toNodeOptions(specs: OptionSpecs): NonNullable<ParseArgsConfig['options']> {
  return Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [
      name,
      {
        type: spec.type === 'flag' ? ('boolean' as const) : ('string' as const),
        ...(spec.short ? { short: spec.short } : {}),
      },
    ]),
  );
}

/**
 * Parses options and positionals against the command's `spec` plus
 * GLOBAL_OPTIONS. `--name VALUE` and `--name=VALUE` are the same (the word after
 * a value option is its value even when it starts with `-`); a lone `-` is a
 * positional; after `--` everything is. An option outside the specs, a flag with
 * a value, a missing value and a bad number are usage errors (exit 64).
 */
export function parseArgs<Specs extends OptionSpecs>(
  argv: readonly string[],
  spec: Specs,
  commandName = 'this command',
): ParsedArgs<Specs> {
  const known: OptionSpecs = { ...GLOBAL_OPTIONS, ...spec };
  // Not strict: the checks below give our own messages and suggestions instead of Node's.
  const { tokens } = parseWords({
    args: [...argv],
    options: toNodeOptions(known),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const positionals: string[] = [];
  const options: Record<string, string | number | true> = {};
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind === 'option-terminator') continue;
    const { name, rawName } = token;
    const kind: OptionSpec | undefined = Object.hasOwn(known, name) ? known[name] : undefined;
    if (kind === undefined) {
      if (rawName.startsWith('--='))
        throw usageError(`${rawName}${token.value === undefined ? '' : `=${token.value}`} is not an option name`);
      if (!rawName.startsWith('--')) {
        throw usageError(`unknown option ${rawName} for ${commandName}`, [
          `options start with --; see: nix-pgo help ${commandName}`,
        ]);
      }
      const guess = suggestName(name, Object.keys(known));
      throw usageError(`unknown option ${rawName} for ${commandName}`, [
        ...(guess ? [`did you mean --${guess}?`] : []),
        `see: nix-pgo help ${commandName}`,
      ]);
    }
    const option = `--${name}`;
    if (kind.type === 'flag') {
      if (token.value !== undefined) throw usageError(`${option} takes no value (got ${option}=${token.value})`);
      options[name] = true;
      continue;
    }
    if (token.value === undefined)
      throw usageError(`${option} needs a value`, [`write ${option} VALUE or ${option}=VALUE`]);
    options[name] = kind.type === 'integer' ? parseInteger(option, token.value, kind, commandName) : token.value;
  }
  return { positionals, options: options as OptionValues<Specs> & ParsedArgs['options'] };
}
