// `nix-pgo gc`: drop old generations, stale roots and logs.
import { runGc, type GcReport } from '../../gc/run-gc.js';
import type { Command } from '../command.js';
import { CONFIG_USAGE, loadConfig } from './config-option.js';

export const gcCommand: Command<GcReport> = {
  name: 'gc',
  summary: 'delete old Nix profile generations, GC roots of unlocked profiles and old build logs',
  usage: ['nix-pgo gc [--keep N] [--config FILE] [--json]', CONFIG_USAGE, '  --keep N       generations and logs per package to keep (default 5)'].join('\n'),
  options: { config: 'value', keep: 'value' },
  async run(args) {
    const keep = typeof args.options['keep'] === 'string' ? Number(args.options['keep']) : 5;
    return runGc(await loadConfig(args), { keepGenerations: keep, keepLogs: keep });
  },
  render: (r) =>
    `deleted ${r.generationsDeleted} profile generation(s), ${r.rootsRemoved.length} GC root(s), ${r.logsRemoved} log file(s); run nix-collect-garbage to free the store`,
};
