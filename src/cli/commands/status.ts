// `nix-pgo status [PACKAGE]`: where each package is and why.
import { existsSync, readFileSync } from 'node:fs';
import { manifestPathOf, parseBoltOutcomes, type BoltFileOutcome } from '../../formats/manifest.js';
import { currentGeneration } from '../../activate/switch-profile.js';
import { findPackage } from '../../config/find-package.js';
import { metricsFromRecords } from '../../lifecycle/decide-readiness.js';
import { withDatabaseReadOnly } from '../../state/database.js';
import { listLifecycles, type LifecycleRecord } from '../../state/lifecycle-records.js';
import { listContributions, listPackages } from '../../state/package-records.js';
import { lookupUserName } from '../../tools/getent.js';
import { summarizeLive } from '../../state/live-snapshots.js';
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
    // Read-only: status (also as root, `sudo nix-pgo status`) never creates or migrates the daemon's database.
    const status = await withDatabaseReadOnly(stateLayout(config.stateDir, config.spoolDir).database, async (db) => {
      // No database yet: nothing collected or built (a fresh install).
      if (db === null) return collectStatus({ config, records: [], metrics: new Map(), profileGeneration });
      const contributions = new Map(config.packages.map((p) => [p.name, listContributions(db, p.name)] as const));
      const userNames = await lookupNames([...contributions.values()].flat().map((c) => c.contributor));
      return collectStatus({
        config,
        records: listLifecycles(db),
        metrics: metricsFromRecords(listPackages(db)),
        profileGeneration,
        quarantine: summarizeQuarantine(db),
        contributions,
        userNames,
        live: summarizeLive(db),
        boltFiles: readBoltFiles(listLifecycles(db)),
      });
    });
    return only === undefined ? status : { ...status, packages: status.packages.filter((p) => p.name === only) };
  },
  render: renderStatus,
};

/** The per-file outcomes of each package's active BOLT variant, from its manifest. */
function readBoltFiles(records: readonly LifecycleRecord[]): Map<string, BoltFileOutcome[]> {
  const files = new Map<string, BoltFileOutcome[]>();
  for (const r of records) {
    if (r.activePath === null || (r.activeVariant !== 'bolt-profile' && r.activeVariant !== 'bolt-optimized')) continue;
    try {
      files.set(r.name, parseBoltOutcomes(readFileSync(manifestPathOf(r.activePath), 'utf8')));
    } catch {
      // Collected away or unreadable: status shows no file list rather than failing.
    }
  }
  return files;
}

async function lookupNames(uids: readonly number[]): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  for (const uid of new Set(uids)) {
    const name = uid < 0 ? null : await lookupUserName(uid);
    if (name !== null) names.set(uid, name);
  }
  return names;
}
