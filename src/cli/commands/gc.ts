// `nix-pgo gc`: drop old generations, stale roots and logs.
import { runGc, type GcReport } from '../../gc/run-gc.js';
import { withDatabaseReadOnly } from '../../state/database.js';
import { listLifecycles } from '../../state/lifecycle-records.js';
import { stateLayout } from '../../state/state-layout.js';
import type { Command, OptionSpecs } from '../command.js';
import { CONFIG_OPTION, CONFIG_USAGE, loadConfig } from './config-option.js';

// nix-env keeps at least the current generation; --keep 0 would mean nothing to it.
const options = { ...CONFIG_OPTION, keep: { type: 'integer', min: 1 } } as const satisfies OptionSpecs;

export const gcCommand: Command<GcReport, typeof options> = {
  name: 'gc',
  summary: 'delete old Nix profile generations, GC roots of profiles nothing can use again and old build logs',
  usage: [
    'nix-pgo gc [--keep N] [--config FILE] [--json]',
    CONFIG_USAGE,
    '  --keep N       generations and logs per package to keep, at least 1 (default 5)',
  ].join('\n'),
  options,
  async run(args) {
    const keep = args.options.keep ?? 5;
    const config = await loadConfig(args);
    const records = await withDatabaseReadOnly(stateLayout(config.stateDir, config.spoolDir).database, (db) =>
      db === null ? [] : listLifecycles(db),
    );
    return runGc(config, { keepGenerations: keep, keepLogs: keep, records });
  },
  render: (r) =>
    `deleted ${r.generationsDeleted} profile generation(s), ${r.rootsRemoved.length} GC root(s), ${r.logsRemoved} log file(s); run nix-collect-garbage to free the store`,
};
