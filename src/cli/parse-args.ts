/**
 * Command line → command name and ParsedArgs (pure). Options a command declares
 * are parsed strictly; a command that declares none gets the lenient rule
 * "`--name word` takes the word as its value".
 */
import { InputError } from '../errors/errors.js';
import { suggestName } from '../suggest/suggest-name.js';
import type { OptionSpec, ParsedArgs } from './command.js';

/** Options every command accepts; main.ts acts on them. */
export const GLOBAL_OPTIONS: OptionSpec = { json: 'flag', help: 'flag' };

const SHORT_ALIASES: Readonly<Record<string, string>> = { '-h': 'help' };

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

/**
 * Parses options and positionals. `spec` undefined means the command declared
 * no options (lenient); otherwise an option outside spec and GLOBAL_OPTIONS is
 * a usage error with a suggestion.
 */
export function parseArgs(argv: readonly string[], spec: OptionSpec | undefined, commandName = 'this command'): ParsedArgs {
  const known: OptionSpec = { ...GLOBAL_OPTIONS, ...(spec ?? {}) };
  const positionals: string[] = [];
  const options: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    const alias = SHORT_ALIASES[arg];
    if (alias !== undefined) {
      options[alias] = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      if (arg.startsWith('-') && arg !== '-') {
        throw usageError(`unknown option ${arg} for ${commandName}`, [`options start with --; see: nix-pgo help ${commandName}`]);
      }
      positionals.push(arg);
      continue;
    }
    const equals = arg.indexOf('=');
    const name = equals === -1 ? arg.slice(2) : arg.slice(2, equals);
    const inline = equals === -1 ? undefined : arg.slice(equals + 1);
    if (name === '') throw usageError(`${arg} is not an option name`);
    const kind = known[name];
    if (kind === undefined && spec !== undefined) {
      const guess = suggestName(name, Object.keys(known));
      throw usageError(`unknown option --${name} for ${commandName}`, [
        ...(guess ? [`did you mean --${guess}?`] : []),
        `see: nix-pgo help ${commandName}`,
      ]);
    }
    if (kind === 'flag') {
      if (inline !== undefined) throw usageError(`--${name} takes no value (got --${name}=${inline})`);
      options[name] = true;
    } else if (inline !== undefined) {
      options[name] = inline;
    } else if (kind === 'value') {
      const value = argv[i + 1];
      if (value === undefined) throw usageError(`--${name} needs a value`, [`write --${name} VALUE or --${name}=VALUE`]);
      options[name] = value;
      i++;
    } else {
      // Undeclared option of a command without a spec: a following word is its value.
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('-')) {
        options[name] = next;
        i++;
      } else {
        options[name] = true;
      }
    }
  }
  return { positionals, options };
}
