// `nix-pgo build PACKAGE`: build the optimized variant now and switch to it.
import { buildNow, type BuildNowResult } from '../../daemon/build-now.js';
import { InputError } from '../../errors/errors.js';
import type { Command } from '../command.js';
import { commandLogger } from './command-logger.js';
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
    // Ctrl-C stops the build and records it as interrupted (not failed): it starts again at the next build or start.
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      const result = await buildNow(await loadConfig(args), name, {
        logger: commandLogger(args),
        signal: controller.signal,
      });
      return controller.signal.aborted
        ? {
            ...result,
            interrupted: true,
            message: `${name}: interrupted; the build starts again with the next nix-pgo build ${name} or daemon start`,
          }
        : result;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
  render: (result) => result.message,
  exitCode: (result) =>
    result.interrupted ? 130 : result.record?.lastBuild && !result.record.lastBuild.ok && result.by === 'here' ? 1 : 0,
};
