// `nix-pgo harvest NAME=MANIFEST...`: one harvest-and-merge pass over the spool, with per-package metrics.
import { readFile } from 'node:fs/promises';
import { Collector, type PackageSource, type PassReport } from '../../collect/collector.js';
import { resolveTrust } from '../../collect/resolve-trust.js';
import type { Config } from '../../config/config-types.js';
import { InputError } from '../../errors/errors.js';
import { parseManifest } from '../../formats/manifest.js';
import { withDatabase } from '../../state/database.js';
import { stateLayout } from '../../state/state-layout.js';
import type { Command } from '../command.js';
import { CONFIG_OPTION, CONFIG_USAGE, loadConfig } from './config-option.js';

function parseSources(positionals: readonly string[]): PackageSource[] {
  return positionals.map((arg) => {
    const cut = arg.indexOf('=');
    if (cut <= 0 || cut === arg.length - 1) {
      throw new InputError('USAGE', `expected NAME=MANIFEST, got ${arg}`, {
        hints: ['e.g. nix-pgo harvest hello=/nix/store/...-hello-1.0/nix-support/pgo.json'],
      });
    }
    return { name: arg.slice(0, cut), manifestPath: arg.slice(cut + 1) };
  });
}

/** Every manifest must be readable before the pass, or the user named something wrong; a package the config manages gets its trust settings. */
async function prepareSources(sources: readonly PackageSource[], config: Config): Promise<PackageSource[]> {
  const prepared: PackageSource[] = [];
  for (const source of sources) {
    let text: string;
    try {
      text = await readFile(source.manifestPath, 'utf8');
    } catch (error) {
      throw new InputError(
        'PROFILE_INVALID',
        `${source.name}: cannot read the manifest ${source.manifestPath} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        {
          hints: [
            "give the nix-support/pgo.json of the package's profiling build, e.g. $(nix-build FILE -A ATTR.pgo.profile)/nix-support/pgo.json",
          ],
        },
      );
    }
    parseManifest(text, source.manifestPath);
    const managed = config.packages.find((p) => p.name === source.name);
    prepared.push(
      managed
        ? {
            ...source,
            trust: await resolveTrust(managed.trustedUsers, `packages.${source.name}.trustedUsers`),
            maxContributorShare: managed.policy.maxContributorShare,
          }
        : source,
    );
  }
  return prepared;
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(2)} MiB`;
}

function renderHarvest(report: PassReport): string {
  const { harvested, status } = report;
  const lines = [
    `harvested ${harvested.taken} file(s), ${harvested.bytes} bytes; ${harvested.quarantined} quarantined; ${harvested.busy} busy (retried next pass)`,
  ];
  for (const p of status.packages) {
    const overlap = p.overlap === null ? '-' : `${(p.overlap * 100).toFixed(2)}%`;
    lines.push(
      `${p.name}: generation ${p.generation}, merged ${mib(p.mergedBytes)}, harvested ${p.filesHarvested} file(s) / ${mib(p.bytesHarvested)}, ` +
        `runs ${p.runs}, functions run ${p.functionsNonzero ?? '-'}, overlap with previous ${overlap}`,
    );
  }
  for (const e of report.errors) lines.push(`${e.package}: merge failed: ${e.message}`);
  for (const problem of status.problems) lines.push(`problem: ${problem}`);
  if (status.spool.full)
    lines.push(`spool is over its cap: ${mib(status.spool.bytes)} of ${mib(status.spool.capBytes)}`);
  if (status.quarantine.full)
    lines.push(
      `quarantine is full: ${mib(status.quarantine.bytes)} of ${mib(status.quarantine.capBytes)}; new bad files are recorded but not kept`,
    );
  return lines.join('\n');
}

export const harvestCommand: Command<PassReport, typeof CONFIG_OPTION> = {
  name: 'harvest',
  summary: 'run one harvest-and-merge pass over the spool and print per-package metrics',
  usage: [
    'nix-pgo harvest NAME=MANIFEST... [--config FILE] [--json]',
    "  NAME=MANIFEST  a managed package and its profiling build's nix-support/pgo.json",
    CONFIG_USAGE,
  ].join('\n'),
  options: CONFIG_OPTION,
  async run(args) {
    const sources = parseSources(args.positionals);
    const config = await loadConfig(args);
    const layout = stateLayout(config.stateDir, config.spoolDir);
    return withDatabase(layout.database, async (db) => {
      const collector = Collector.open({
        db,
        layout,
        packages: await prepareSources(sources, config),
        limits: config.collector,
      });
      try {
        const { directories: _, ...report } = await collector.runOnce();
        return report;
      } finally {
        collector.close();
      }
    });
  },
  render: renderHarvest,
  exitCode: (report) => (report.errors.length > 0 ? 1 : 0),
};
