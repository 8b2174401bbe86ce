// `nix-pgo status [PACKAGE]`: where each package is and why.
import type { Status } from '../../status/collect-status.js';
import { gatherStatus } from '../../status/gather-status.js';
import { renderStatus } from '../../status/render-status.js';
import type { Command } from '../command.js';
import { CONFIG_OPTION, CONFIG_USAGE, loadConfig } from './config-option.js';

export const statusCommand: Command<Status, typeof CONFIG_OPTION> = {
  name: 'status',
  summary: 'show each managed package: state and why, data collected, active variant, last build',
  usage: ['nix-pgo status [PACKAGE] [--config FILE] [--json]', CONFIG_USAGE].join('\n'),
  options: CONFIG_OPTION,
  async run(args) {
    return gatherStatus(await loadConfig(args), args.positionals[0]);
  },
  render: renderStatus,
};
