/**
 * The fleet part of `nix-pgo status`: on every machine what it published and
 * which fleet lock it follows, and where each package's optimized build came
 * from; on the aggregator also every machine's data, each package's fleet
 * merge and build, and who keeps profiling. Read from the fleet's state files
 * (src/fleet/fleet-state.ts), rendered as words here.
 */
import { formatCounts } from '../config/format-counts.js';
import type { Config } from '../config/config-types.js';
import {
  type AggregateState,
  type FollowedState,
  type PublishedState,
  readAggregate,
  readFollowed,
  readPublished,
} from '../fleet/fleet-state.js';
import { renderProgressBar } from './progress-bar.js';

export interface FleetStatus {
  role: 'member' | 'aggregator';
  cache: string;
  /** The machine's name (its key's), once a round has published; null before. */
  machine: string | null;
  published: PublishedState;
  followed: FollowedState;
  /** The aggregator's view of the fleet; null on a member. */
  aggregate: AggregateState | null;
  /** Each package's threshold, for the aggregator's progress. */
  thresholds: Record<string, number>;
}

/** The fleet's status, or null when the machine is in no fleet. */
export function gatherFleetStatus(config: Config, fleetDir: string): FleetStatus | null {
  const fleet = config.fleet;
  if (!fleet) return null;
  const published = readPublished(fleetDir);
  const aggregate = fleet.role === 'aggregator' ? readAggregate(fleetDir) : null;
  // The masses of every profile ever measured are the aggregator's memory, not something a person reads.
  if (aggregate) aggregate.masses = {};
  return {
    role: fleet.role,
    cache: fleet.cache,
    machine: published.machine || null,
    published,
    followed: readFollowed(fleetDir),
    aggregate,
    thresholds: Object.fromEntries(config.packages.map((p) => [p.name, p.policy.thresholdCounts])),
  };
}

const percent = (share: number) => `${Math.round(share * 100)} %`;

function renderAttemptFailure(what: string, attempt: { at: string; error: string | null } | null): string[] {
  return attempt?.error ? [`  ${what} FAILED at ${attempt.at}: ${attempt.error.split('\n')[0]}`] : [];
}

export function renderFleetStatus(f: FleetStatus): string[] {
  const lines = [`fleet:       ${f.role} ${f.machine ?? '(named at its first round)'} of ${f.cache}`];
  const p = f.published.published;
  if (p) {
    const what = Object.entries(p.packages).map(
      ([name, x]) =>
        `${name} merge ${x.generation} (${x.runs} run${x.runs === 1 ? '' : 's'}, ${formatCounts(x.counts)} counts)`,
    );
    lines.push(`  published: ${p.at}: ${what.join('; ') || 'no package data'}  record ${p.record}`);
  } else lines.push('  published: nothing yet (no merged data, or no round since)');
  if (f.published.lastAttempt?.error)
    lines.push(
      `  publish:   FAILED at ${f.published.lastAttempt.at}: ${f.published.lastAttempt.error.split('\n')[0]}; the data stays here and the next round publishes it`,
    );
  const lock = f.followed.lock;
  lines.push(
    lock
      ? `  follows:   fleet lock generation ${lock.generation} of ${lock.aggregator}, published ${lock.publishedAt}  ${lock.storePath}`
      : '  follows:   no fleet lock yet',
  );
  if (f.followed.refused) lines.push(`  refused:   ${f.followed.refused.at}: ${f.followed.refused.why}`);
  lines.push(...renderAttemptFailure('follow:   ', f.followed.lastAttempt));
  for (const [name, x] of Object.entries(f.followed.packages))
    lines.push(`  ${name}: ${x.outcome}: ${x.message}${x.storePath ? `  ${x.storePath}` : ''}`);
  if (f.aggregate) lines.push(...renderAggregate(f.aggregate, f.thresholds));
  return lines;
}

function renderAggregate(a: AggregateState, thresholds: Record<string, number>): string[] {
  const lines = [
    `  aggregate: ${a.lastAttempt ? `last round ${a.lastAttempt.at}` : 'no round yet'}; fleet lock generation ${a.generation}${a.lock ? `  ${a.lock}` : ''}`,
    ...renderAttemptFailure('aggregate:', a.lastAttempt),
  ];
  for (const [machine, m] of Object.entries(a.machines)) {
    const data = Object.entries(m.packages).map(([name, x]) => {
      const counts =
        x.mass === null ? `${formatCounts(x.claimedCounts)} counts claimed` : `${formatCounts(x.mass)} counts`;
      return `${name} ${x.runs} run${x.runs === 1 ? '' : 's'}, ${counts}${x.excluded ? ` (not merged: ${x.excluded})` : ''}`;
    });
    const record = m.record ? `record of ${m.publishedAt}` : 'no record';
    lines.push(
      `  machine ${machine}: ${record}${data.length > 0 ? `: ${data.join('; ')}` : ''}${m.problem ? `; ${m.problem}` : ''}`,
    );
  }
  for (const [name, x] of Object.entries(a.packages)) {
    const threshold = thresholds[name];
    const bar = threshold ? `${renderProgressBar(x.counts / threshold)} ` : '';
    const shares = Object.entries(x.machines).map(([m, s]) => `${m} ${percent(s.share)}`);
    lines.push(`  ${name}: ${bar}${x.reason}${shares.length > 0 ? `; shares: ${shares.join(', ')}` : ''}`);
    if (x.built)
      lines.push(
        `    built for lock generation ${x.built.generation} (${formatCounts(x.built.counts)} counts): ${x.built.outPath}`,
      );
    if (x.failed) lines.push(`    build FAILED at ${x.failed.at}: ${x.failed.error.split('\n')[0]}`);
  }
  if (a.duty)
    lines.push(
      a.duty.machines.length > 0
        ? `  duty:      ${a.duty.machines.join(', ')} keep${a.duty.machines.length === 1 ? 's' : ''} the profiling variant with lock generation ${a.duty.generation} (share ${a.duty.share} of the contributing machines, chosen by SHA-256 of the generation and each name)`
        : `  duty:      no machine keeps profiling (share ${a.duty.share})`,
    );
  return lines;
}
