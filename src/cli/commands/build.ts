// `nix-pgo build PACKAGE`: build the optimized variant now and switch to it.
import { buildNow, type BuildNowResult } from '../../daemon/build-now.js';
import { InputError } from '../../errors/errors.js';
import type { Command } from '../command.js';
import { CONFIG_OPTION, CONFIG_USAGE, loadConfig } from './config-option.js';

export const buildCommand: Command<BuildNowResult, typeof CONFIG_OPTION> = {
  name: 'build',
  summary: 'build a package now (profiling variant first if needed, else optimized) and switch to it',
  usage: ['nix-pgo build PACKAGE [--config FILE] [--json]', CONFIG_USAGE].join('\n'),
  options: CONFIG_OPTION,
  async run(args) {
    const name = args.positionals[0];
    if (name === undefined || args.positionals.length > 1)
      throw new InputError('USAGE', 'build takes one package name', { hints: ['usage: nix-pgo build PACKAGE'] });
    return buildNow(await loadConfig(args), name);
  },
  render: (result) => result.message,
  exitCode: (result) => (result.record?.lastBuild && !result.record.lastBuild.ok && result.by === 'here' ? 1 : 0),
};
