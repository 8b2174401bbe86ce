/**
 * `nix-pgo fleet`: a round of this machine's part in its fleet now. With a
 * daemon running, it is asked to run one at its next tick; without one, this
 * process harvests and merges what the spool holds, then runs the round.
 */
import type { Config } from '../config/config-types.js';
import { StateError } from '../errors/errors.js';
import {
  type FleetRequest,
  type FleetRoundReport,
  requestFleetRound,
  runFleetRound,
} from '../fleet/run-fleet-round.js';
import type { Logger } from '../log/logger.js';
import { stateLayout } from '../state/state-layout.js';
import { actNow } from './act-now.js';

export type FleetNowResult = { by: 'daemon'; request: FleetRequest } | ({ by: 'here' } & FleetRoundReport);

export async function fleetNow(
  config: Config,
  request: FleetRequest,
  options: { logger?: Logger; signal?: AbortSignal } = {},
): Promise<FleetNowResult> {
  if (!config.fleet)
    throw new StateError('STATE', 'this machine is in no fleet', {
      hints: ['add a "fleet" section to the config (docs/fleet.md)'],
    });
  return actNow<FleetNowResult>(
    config,
    options,
    async (daemon) => {
      daemon.ctx.signal = options.signal;
      // What the spool holds now is published too.
      await daemon.collector.runOnce();
      return { by: 'here', ...(await runFleetRound(daemon.ctx, request)) };
    },
    () => {
      requestFleetRound(stateLayout(config.stateDir, config.spoolDir).fleetDir, request);
      return { by: 'daemon', request };
    },
  );
}
