/** Human text for `nix-pgo status` (pure); `--json` prints the Status itself. */
import { formatCounts } from '../config/format-counts.js';
import type { Variant } from '../model/variants.js';
import { describeOrigin } from '../lifecycle/next-record.js';
import { formatShare } from '../lifecycle/upgrade-records.js';
import type { HistoryEntry, MatchRecord } from '../model/lifecycle-record.js';
import type { BoltStatus, ContributorStatus, LiveStatus, PackageStatus, Status } from './collect-status.js';
import type { DaemonStatus } from './daemon-state.js';
import { renderFleetStatus } from './fleet-status.js';
import { renderProgressBar } from './progress-bar.js';

/** How many history entries the human status shows (--json has all). */
const HISTORY_SHOWN = 8;

export { renderProgressBar } from './progress-bar.js';

function renderPackage(p: PackageStatus, daemonRuns: boolean): string[] {
  const lines = [`${p.name}: ${p.state}${p.held ? ' (held by a rollback)' : ''}`, `  why:      ${p.reason}`];
  if (p.building) {
    lines.push(
      `  building: the ${VARIANT_WORDS[p.building.variant]}, for ${formatDuration(p.building.elapsedSeconds)}  log: ${p.building.logFile}`,
    );
  }
  const measures = p.measures.map((m) => (m.missing ? `${m.text} (${m.missing})` : m.text));
  const overlap =
    p.convergence !== null && !p.measures.some((m) => m.kind === 'convergence')
      ? [`overlap ${p.convergence.toFixed(3)}`]
      : [];
  lines.push(
    `  data:     ${renderProgressBar(p.progress)} ${[...measures, ...overlap, `merge ${p.mergeGeneration}`].join(', ')}`,
  );
  if (p.contributors.length > 0) lines.push(`  from:     ${p.contributors.map(renderContributor).join('; ')}`);
  if (p.live) lines.push(`  running:  ${renderLive(p.live, daemonRuns)}`);
  for (const c of p.collisions) {
    const others = c.packages.filter((name) => name !== p.name).join(', ');
    const runs = c.winner === p.name ? "this package's" : `${c.winner}'s`;
    lines.push(`  collides: ${c.file} with ${others}: the Nix profile runs ${runs}`);
  }
  if (p.refresh)
    lines.push(
      `  refresh:  ${renderProgressBar(p.progress)} the window ends at ${p.refresh.window}; since ${p.refresh.startedAt}`,
    );
  lines.push(
    `  active:   ${p.activeVariant ?? 'nothing yet'}${p.active ? ` of ${p.active.words}` : ''}${p.generation === null ? '' : ` (profile generation ${p.generation})`}${p.activePath ? `  ${p.activePath}` : ''}`,
  );
  if (p.upgrade)
    lines.push(
      `  upgrade:  ${describeOrigin(p.upgrade.from)} → ${describeOrigin(p.upgrade.to)} (noticed ${p.upgrade.noticedAt}): the ${p.upgrade.variant} variant is built with the profile it had`,
    );
  if (p.checkError)
    lines.push(`  check:    the Nix file could not be evaluated at ${p.checkedAt}: ${p.checkError.split('\n')[0]}`);
  if (p.profileStorePath)
    lines.push(`  profile:  ${p.profileStorePath}${p.profileSource ? `, from runs of ${p.profileSource.words}` : ''}`);
  if (p.match) lines.push(...renderMatch(p.match));
  if (p.bolt) lines.push(...renderBolt(p.bolt));
  if (p.lastBuild) {
    const b = p.lastBuild;
    lines.push(`  build:    ${b.variant} ${b.ok ? 'succeeded' : 'FAILED'} at ${b.endedAt}  log: ${b.logFile}`);
    if (!b.ok) {
      if (p.nextRetryAt)
        lines.push(`  retry:    after ${p.nextRetryAt} (${p.failures} failure${p.failures === 1 ? '' : 's'} in a row)`);
      for (const line of (b.logTail ?? '').split('\n').slice(-8)) lines.push(`    | ${line}`);
    }
  }
  if (p.history.length > 0) {
    const shown = p.history.slice(-HISTORY_SHOWN);
    lines.push(
      `  history:${p.history.length > shown.length ? ` (the last ${shown.length} of ${p.history.length})` : ''}`,
      ...shown.map(renderHistoryEntry),
    );
  }
  return lines;
}

function renderMatch(m: MatchRecord): string[] {
  if (m.result === null) return [`  match:    not measured: ${m.unmeasured ?? 'unknown'}`];
  const r = m.result;
  const lost = r.lost.filter((l) => l.share > 0);
  return [
    `  match:    ${formatShare(r.share)} of the profile's counts apply (${r.matched} of ${r.functions} functions; ${r.changed} changed, ${r.gone} gone), measured ${m.measuredAt}`,
    ...(lost.length > 0 ? [`  lost:     ${lost.map((l) => `${l.name} ${formatShare(l.share)}`).join(', ')}`] : []),
  ];
}

function renderHistoryEntry(h: HistoryEntry): string {
  const what = h.name ? ` ${h.version ? `${h.name}-${h.version}` : h.name}` : '';
  const share = h.share === null ? '' : `, ${formatShare(h.share)} of the profile applies`;
  const profile = h.profileStorePath ? `  profile ${h.profileStorePath}` : '';
  return `    ${h.at}  ${h.event}${what}${share}${profile}`;
}

const VARIANT_WORDS: Record<Variant, string> = {
  profile: 'profiling variant',
  optimized: 'optimized variant',
  'bolt-profile': 'BOLT-instrumented variant',
  'bolt-optimized': 'BOLT-optimized variant',
};

function renderBolt(b: BoltStatus): string[] {
  const measures = b.measures.map((m) => (m.missing ? `${m.text} (${m.missing})` : m.text));
  const lines = [
    `  bolt:     ${renderProgressBar(b.progress)} ${[...measures, `BOLT merge ${b.mergeGeneration}`].join(', ')}`,
  ];
  if (b.profileStorePath) lines.push(`  bolt profile: ${b.profileStorePath}`);
  for (const f of b.files)
    lines.push(
      `    ${f.path}: ${f.outcome === 'fallback' ? `kept as PGO built it: ${f.reason ?? 'no reason given'}` : f.outcome}`,
    );
  return lines;
}

function renderContributor(c: ContributorStatus): string {
  const who = c.user === null ? `uid ${c.uid}` : `${c.user} (uid ${c.uid})`;
  return `${who} ${formatCounts(c.counts)} counts, ${c.runs} run${c.runs === 1 ? '' : 's'}, ${Math.round(c.share * 100)}% of the profile`;
}

/** Live files as current only when a running daemon read them lately; otherwise as what they were, and since when. */
function renderLive(live: LiveStatus, daemonRuns: boolean): string {
  const files = `${live.running} live profile${live.running === 1 ? '' : 's'}`;
  const at = live.lastSnapshot ?? 'an unknown time';
  if (live.current) return `${files} of running programs, merged while they run (last read ${at})`;
  const why = daemonRuns ? 'not read since (see the daemon log)' : 'not read since: the daemon is not running';
  return `${files} of programs that ran when last read at ${at}; ${why}`;
}

function renderDaemon(d: DaemonStatus): string {
  const passed = d.lastPassAt ? `; last pass ${d.lastPassAt}` : '';
  switch (d.state) {
    case 'running':
      return `running (pid ${d.pid}, since ${d.since}${passed})`;
    case 'locked':
      return `a nix-pgo process${d.pid === null ? '' : ` (pid ${d.pid})`} holds the collector lock; no daemon has reported from it`;
    case 'stopped':
      return `NOT RUNNING since ${d.since} (it was stopped); start it: nix-pgo daemon (NixOS: systemctl start nix-pgo)`;
    case 'died':
      return `NOT RUNNING since about ${d.since} (its last sign of life): it did not stop cleanly (killed or crashed); start it: nix-pgo daemon (NixOS: systemctl start nix-pgo)`;
    case 'never':
      return 'NOT RUNNING: no daemon has run with this state directory yet; start it: nix-pgo daemon';
    case 'unknown':
      return `cannot tell whether it runs: ${d.detail}`;
  }
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes} min ${seconds % 60} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function renderStatus(status: Status): string {
  const out: string[] = [];
  if (status.packages.length === 0) out.push('no managed packages: list some under "packages" in the config');
  for (const p of status.packages) out.push(...renderPackage(p, status.daemon.state === 'running'), '');
  for (const w of status.warnings) out.push(`warning: ${w}`);
  if (status.fleet) out.push(...renderFleetStatus(status.fleet));
  out.push(`daemon:      ${renderDaemon(status.daemon)}`);
  out.push(
    `Nix profile: ${status.nixProfile}${status.profileGeneration === null ? '' : ` (generation ${status.profileGeneration})`}`,
  );
  out.push(`state:       ${status.stateDir}`);
  return out.join('\n');
}
