// `nix-pgo status [PACKAGE]`: where each package is and why.
import { existsSync } from 'node:fs';
import { currentGeneration } from '../../activate/switch-profile.js';
import { findPackage } from '../../config/find-package.js';
import { metricsFromRecords } from '../../lifecycle/decide-readiness.js';
import { withDatabase } from '../../state/database.js';
import { listLifecycles } from '../../state/lifecycle-records.js';
import { listPackages } from '../../state/package-records.js';
import { summarizeQuarantine } from '../../state/quarantine-records.js';
import { stateLayout } from '../../state/state-layout.js';
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
    if (only !== undefined) findPackage(config, only);
    const profileGeneration = existsSync(config.nixProfile) ? await currentGeneration(config.nixProfile) : null;
    const status = await withDatabase(stateLayout(config.stateDir, config.spoolDir).database, (db) =>
      collectStatus({ config, records: listLifecycles(db), metrics: metricsFromRecords(listPackages(db)), profileGeneration, quarantine: summarizeQuarantine(db) }),
    );
    return only === undefined ? status : { ...status, packages: status.packages.filter((p) => p.name === only) };
  },
  render: renderStatus,
};
