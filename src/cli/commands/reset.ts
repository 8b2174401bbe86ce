// `nix-pgo reset PACKAGE`: start a package's cycle over with a profiling build of its current derivation.
import { resetNow, type ResetNowResult } from '../../daemon/reset-now.js';
import { InputError } from '../../errors/errors.js';
import type { Command } from '../command.js';
import { commandLogger } from './command-logger.js';
import { CONFIG_OPTION, CONFIG_USAGE, loadConfig } from './config-option.js';

export const resetCommand: Command<ResetNowResult, typeof CONFIG_OPTION> = {
  name: 'reset',
  summary: "start a package's cycle over: forget its profile data, profile its current derivation",
  usage: [
    'nix-pgo reset PACKAGE [--config FILE] [--json]',
    '  forgets the data collected for PACKAGE, takes it out of the lock file, builds the profiling variant',
    '  of what the Nix file gives now and switches to it (with a daemon running, the daemon does, at once).',
    '  Earlier optimized builds and their profiles stay in the store until nix-pgo gc.',
    CONFIG_USAGE,
  ].join('\n'),
  options: CONFIG_OPTION,
  async run(args) {
    const name = args.positionals[0];
    if (name === undefined || args.positionals.length > 1)
      throw new InputError('USAGE', 'reset takes one package name', { hints: ['usage: nix-pgo reset PACKAGE'] });
    return resetNow(await loadConfig(args), name, { logger: commandLogger(args) });
  },
  render: (r) =>
    r.by === 'daemon'
      ? `the running daemon starts ${r.name} over at its next tick; follow it with nix-pgo status ${r.name}`
      : `${r.name}: ${r.record?.state ?? 'unknown'}: ${r.record?.reason ?? ''}`,
  exitCode: (r) => (r.by === 'here' && r.record?.lastBuild && !r.record.lastBuild.ok ? 1 : 0),
};
