// `nix-pgo status [PACKAGE]`: where each package is and why.
import { existsSync } from 'node:fs';
import { currentGeneration } from '../../activate/switch-profile.js';
import { InputError } from '../../errors/errors.js';
import { withState } from '../../daemon/open-daemon.js';
import { collectStatus, type Status } from '../../status/collect-status.js';
import { renderStatus } from '../../status/render-status.js';
import type { Command } from '../command.js';
import { CONFIG_OPTION, CONFIG_USAGE, loadConfig } from './config-option.js';

export const statusCommand: Command<Status, typeof CONFIG_OPTION> = {
  name: 'status',
  summary: 'show each managed package: state and why, data collected, active variant, last build',
  usage: ['nix-pgo status [PACKAGE] [--config FILE] [--json]', CONFIG_USAGE].join('\n'),
  options: CONFIG_OPTION,
  async run(args) {
    const config = await loadConfig(args);
    const only = args.positionals[0];
    if (only !== undefined && !config.packages.some((p) => p.name === only)) {
      throw new InputError('USAGE', `${only} is not a managed package`, { hints: [`managed: ${config.packages.map((p) => p.name).join(', ') || '(none)'}`] });
    }
    const profileGeneration = existsSync(config.nixProfile) ? await currentGeneration(config.nixProfile) : null;
    const status = await withState(config, (state) =>
      collectStatus({ config, slots: state.slots.all(), metrics: state.metrics(), profileGeneration, quarantine: state.quarantine() }),
    );
    return only === undefined ? status : { ...status, packages: status.packages.filter((p) => p.name === only) };
  },
  render: renderStatus,
};
