/**
 * One round of a machine's part in its fleet: publish its new data, then (the
 * aggregator) merge the fleet's and build what is due, then follow the fleet
 * lock. The daemon runs a round every `fleet.intervalSeconds` and when
 * `nix-pgo fleet` asks for one; a step that fails is logged and recorded for
 * status, and the next round tries again (nothing it had is lost).
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionContext } from '../actions/action-context.js';
import { writeFileAtomic } from '../durable/durable-file.js';
import { StateError } from '../errors/errors.js';
import { type AggregateReport, aggregateFleet } from './aggregate-fleet.js';
import { loadFleetKeys } from './fleet-keys.js';
import { type FollowReport, followFleet } from './follow-fleet.js';
import { type PublishReport, publishProfiles } from './publish-profiles.js';

export type FleetStep = 'publish' | 'aggregate' | 'follow';

export const FLEET_STEPS: readonly FleetStep[] = ['publish', 'aggregate', 'follow'];

export interface FleetRequest {
  /** The steps to run (the aggregate step only runs on the aggregator); all of them when absent. */
  steps?: FleetStep[];
  /** Aggregator: build every package with data now, whatever the threshold says. */
  build?: boolean;
}

export interface FleetRoundReport {
  machine: string;
  role: 'member' | 'aggregator';
  published: PublishReport | null;
  aggregated: AggregateReport | null;
  followed: FollowReport | null;
  errors: { step: FleetStep; error: string }[];
}

export async function runFleetRound(ctx: ActionContext, request: FleetRequest = {}): Promise<FleetRoundReport> {
  const fleet = ctx.config.fleet;
  if (!fleet)
    throw new StateError('STATE', 'this machine is in no fleet', {
      hints: ['add a "fleet" section to the config (docs/fleet.md)'],
    });
  const keys = loadFleetKeys(fleet);
  const steps = request.steps ?? FLEET_STEPS;
  const report: FleetRoundReport = {
    machine: keys.self.name,
    role: fleet.role,
    published: null,
    aggregated: null,
    followed: null,
    errors: [],
  };
  const attempt = async <T>(step: FleetStep, act: () => Promise<T>): Promise<T | null> => {
    if (!steps.includes(step) || ctx.signal?.aborted) return null;
    try {
      return await act();
    } catch (error) {
      const message = (error as Error).message;
      report.errors.push({ step, error: message });
      ctx.logger.log('warn', 'fleet-step-failed', { step, error: message });
      return null;
    }
  };
  report.published = await attempt('publish', () => publishProfiles(ctx, fleet, keys));
  if (fleet.role === 'aggregator')
    report.aggregated = await attempt('aggregate', () => aggregateFleet(ctx, fleet, keys, { build: request.build }));
  report.followed = await attempt('follow', () => followFleet(ctx, fleet, keys));
  return report;
}

const REQUEST_FILE = 'request.json';

/** Asks the running daemon for a round at its next tick (what `nix-pgo fleet` does while one runs). */
export function requestFleetRound(fleetDir: string, request: FleetRequest): void {
  mkdirSync(fleetDir, { recursive: true });
  writeFileAtomic(join(fleetDir, REQUEST_FILE), `${JSON.stringify(request)}\n`);
}

/** The round asked for since the last one, taken (removed), or null. */
export function takeFleetRequest(fleetDir: string): FleetRequest | null {
  const file = join(fleetDir, REQUEST_FILE);
  if (!existsSync(file)) return null;
  let request: FleetRequest = {};
  try {
    request = JSON.parse(readFileSync(file, 'utf8')) as FleetRequest;
  } catch {
    // Unreadable: a whole round is what was asked for most likely.
  }
  rmSync(file, { force: true });
  return request;
}
