// `nix-pgo doctor`: what is missing or wrong, and the fix for each.
import { withDatabaseReadOnly } from '../../state/database.js';
import { listLifecycles } from '../../state/lifecycle-records.js';
import { stateLayout } from '../../state/state-layout.js';
import { renderDoctor, runDoctor, type DoctorReport } from '../../doctor/run-doctor.js';
import type { Command } from '../command.js';
import { CONFIG_OPTION, CONFIG_USAGE, loadConfig } from './config-option.js';

export const doctorCommand: Command<DoctorReport, typeof CONFIG_OPTION> = {
  name: 'doctor',
  summary: 'check tools, Nix, state and spool permissions; print the fix for each problem',
  usage: ['nix-pgo doctor [--config FILE] [--json]', CONFIG_USAGE].join('\n'),
  options: CONFIG_OPTION,
  async run(args) {
    const config = await loadConfig(args);
    // Read-only and creating nothing, so `sudo nix-pgo doctor` leaves no file the daemon's user cannot open.
    return withDatabaseReadOnly(stateLayout(config.stateDir, config.spoolDir).database, (db) =>
      runDoctor({
        config,
        records: db === null ? [] : listLifecycles(db),
        env: process.env,
        uid: process.getuid?.() ?? 0,
      }),
    );
  },
  render: renderDoctor,
  exitCode: (r) => (r.ok ? 0 : 1),
};
