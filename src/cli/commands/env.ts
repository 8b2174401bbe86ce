// `nix-pgo env`: the `export` line that sends instrumented programs to the spool (each finds its user's own directory there).
import { spoolEnvironment } from '../../spool/spool-environment.js';
import type { Command, OptionSpecs } from '../command.js';
import { CONFIG_OPTION, CONFIG_USAGE, loadConfig } from './config-option.js';

export interface EnvResult {
  uid: number;
  variables: Record<string, string>;
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
    const spoolDir = args.options['spool-dir'] ?? (await loadConfig(args)).spoolDir;
    return { uid, variables: spoolEnvironment(spoolDir) };
  },
  render: (result) =>
    Object.entries(result.variables)
      .map(([name, value]) => `export ${name}=${shellQuote(value)}`)
      .join('\n'),
};
