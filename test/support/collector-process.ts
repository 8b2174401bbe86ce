/**
 * A collector in its own process (as the daemon runs one), driven by JSON
 * lines on stdin: `pass` runs one pass and answers with its report, the
 * collector's status, the spool report `nix-pgo status` shows and the
 * process's peak RSS; `configure` applies a reload's settings of a package;
 * `exit` ends it. argv[2]: { stateDir, spoolDir?, packages, limits? }, each
 * package's trust as a list of uids. Run it as any uid, as a daemon of that user.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { PackageSource } from '../../src/collect/collector.js';
import { stateLayout } from '../../src/state/state-layout.js';
import { readSpoolReport } from '../../src/state/spool-report.js';
import { summarizeQuarantine } from '../../src/state/quarantine-records.js';
import { openTestCollector } from './collector.js';
import { openDatabase } from '../../src/state/database.js';

export interface ChildPackage {
  name: string;
  manifestPath: string;
  trustUids?: number[];
  maxContributorShare?: number;
}

export interface ChildOptions {
  stateDir: string;
  spoolDir?: string;
  packages: ChildPackage[];
  limits?: Record<string, number>;
}

export function toSource(p: ChildPackage): PackageSource {
  return {
    name: p.name,
    manifestPath: p.manifestPath,
    ...(p.trustUids ? { trust: { anyone: false, uids: new Set(p.trustUids) } } : {}),
    ...(p.maxContributorShare === undefined ? {} : { maxContributorShare: p.maxContributorShare }),
  };
}

function peakRssKiB(): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) : 0;
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2]!) as ChildOptions;
  const layout = stateLayout(options.stateDir, options.spoolDir);
  const engine = openTestCollector({ layout, packages: options.packages.map(toSource), limits: options.limits });
  const reader = openDatabase(layout.database);
  const answer = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    const command = JSON.parse(line) as { op: string; name?: string; settings?: ChildPackage | null };
    if (command.op === 'exit') break;
    if (command.op === 'configure') {
      engine.collector.configure(command.name!, command.settings ? toSource(command.settings) : undefined);
      answer({ ok: true });
      continue;
    }
    const started = Date.now();
    const report = await engine.runOnce();
    answer({
      harvested: report.harvested,
      merged: report.merged,
      errors: report.errors,
      status: report.status,
      spool: readSpoolReport(reader),
      quarantine: summarizeQuarantine(reader).byReason,
      passMs: Date.now() - started,
      peakRssKiB: peakRssKiB(),
    });
  }
  reader.close();
  engine.close();
}

await main();
