// `nix-pgo env`: the `export` lines that send a user's instrumented programs to their part of the spool.
import { InputError } from '../../errors/errors.js';
import { spoolEnvironment } from '../../spool/spool-environment.js';
import type { Command } from '../command.js';
import { CONFIG_USAGE, loadConfig } from './config-option.js';

export interface EnvResult {
  uid: number;
  variables: Record<string, string>;
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./%:-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export const envCommand: Command<EnvResult> = {
  name: 'env',
  summary: 'print the export lines that point instrumented programs at your part of the spool',
  usage: ['nix-pgo env [--uid N] [--spool-dir DIR] [--config FILE] [--json]', '  --uid N          the user (default: you)', '  --spool-dir DIR  the spool (default: from the config)', CONFIG_USAGE].join('\n'),
  options: { uid: 'value', 'spool-dir': 'value', config: 'value' },
  async run(args) {
    const uidOption = args.options['uid'];
    const uid = typeof uidOption === 'string' ? Number(uidOption) : process.getuid!();
    if (!Number.isInteger(uid) || uid < 0) throw new InputError('USAGE', `--uid takes a user id, not ${String(uidOption)}`);
    const spoolOption = args.options['spool-dir'];
    const spoolDir = typeof spoolOption === 'string' ? spoolOption : (await loadConfig(args)).spoolDir;
    return { uid, variables: spoolEnvironment(spoolDir, uid) };
  },
  render: (result) =>
    Object.entries(result.variables)
      .map(([name, value]) => `export ${name}=${shellQuote(value)}`)
      .join('\n'),
};
