// `nix-pgo env`: the `export` line that sends instrumented programs to the spool (each finds its user's own directory there).
import { exitCodeFor, NixPgoError } from '../../errors/errors.js';
import { spoolEnvironment } from '../../spool/spool-environment.js';
import type { Command, OptionSpecs } from '../command.js';
import { CONFIG_OPTION, CONFIG_USAGE, loadConfig } from './config-option.js';

export interface EnvResult {
  uid: number;
  variables: Record<string, string>;
  /**
   * Why there are no variables (the config cannot be read). The text output is then shell code that
   * says so on stderr and fails, so `eval "$(nix-pgo env)"` does not set nothing silently.
   */
  error?: { message: string; hints: readonly string[]; exitCode: number };
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./%:-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

// A uid_t is 32 bits; 4294967295 is (uid_t)-1, "no user". The output no longer depends on it: kept for scripts that pass it.
const options = {
  ...CONFIG_OPTION,
  uid: { type: 'integer', min: 0, max: 4_294_967_294 },
  'spool-dir': { type: 'string' },
} as const satisfies OptionSpecs;

export const envCommand: Command<EnvResult, typeof options> = {
  name: 'env',
  summary: 'print the export line that points instrumented programs at the spool',
  usage: [
    'nix-pgo env [--uid N] [--spool-dir DIR] [--config FILE] [--json]',
    '  --uid N          the user id, from 0 to 4294967294 (default: you); the line is the same for every user',
    '  --spool-dir DIR  the spool (default: from the config)',
    CONFIG_USAGE,
  ].join('\n'),
  options,
  async run(args) {
    const uid = args.options.uid ?? process.getuid!();
    try {
      const spoolDir = args.options['spool-dir'] ?? (await loadConfig(args)).spoolDir;
      return { uid, variables: spoolEnvironment(spoolDir) };
    } catch (error) {
      if (!(error instanceof NixPgoError)) throw error;
      return {
        uid,
        variables: {},
        error: { message: error.message, hints: error.hints, exitCode: exitCodeFor(error) },
      };
    }
  },
  render: (result) =>
    result.error
      ? [
          `echo ${shellQuote(`nix-pgo env: ${result.error.message}`)} >&2`,
          ...result.error.hints.map((hint) => `echo ${shellQuote(`  hint: ${hint}`)} >&2`),
          `echo ${shellQuote('nix-pgo env: nothing is set; instrumented programs write to the spool their build baked in until this is fixed (nix-pgo check-config)')} >&2`,
          'false',
        ].join('\n')
      : Object.entries(result.variables)
          .map(([name, value]) => `export ${name}=${shellQuote(value)}`)
          .join('\n'),
  exitCode: (result) => result.error?.exitCode ?? 0,
};
