/**
 * `nix-pgo build PACKAGE`: build now. With a daemon running, the request is
 * recorded and the daemon acts on it at its next tick; without one, this
 * process runs the tick itself and reports what came of it.
 */
import type { Config } from '../config/config-types.js';
import { NixPgoError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import type { SlotRow } from '../state/lifecycle-records.js';
import { packageNamed } from '../actions/action-context.js';
import { openDaemon, withState } from './open-daemon.js';
import { runTick } from './run-tick.js';
import { requestBuild } from '../actions/user-requests.js';

export interface BuildNowResult {
  name: string;
  /** `daemon`: a running daemon got the request; `here`: this process built. */
  by: 'daemon' | 'here';
  slot: SlotRow | null;
  message: string;
}

function isEngineBusy(error: unknown): boolean {
  return error instanceof NixPgoError && error.code === 'STATE' && error.message.includes('another nix-pgo engine');
}

export async function buildNow(config: Config, name: string, options: { logger?: Logger } = {}): Promise<BuildNowResult> {
  packageNamed(config, name);
  let daemon;
  try {
    daemon = openDaemon(config, { logger: options.logger });
  } catch (error) {
    if (!isEngineBusy(error)) throw error;
    return withState(config, (state): BuildNowResult => {
      if (state.slots.get(name)?.profilingPath) requestBuild({ config, slots: state.slots, now: () => new Date() }, name);
      return { name, by: 'daemon', slot: state.slots.get(name), message: `the running daemon will build ${name} at its next tick; follow it with nix-pgo status ${name}` };
    });
  }
  try {
    const { ctx } = daemon;
    const before = ctx.slots.get(name);
    if (before?.profilingPath) requestBuild(ctx, name);
    const report = await runTick(ctx, { starting: true, harvest: true });
    const slot = ctx.slots.get(name);
    const failed = report.errors.find((e) => e.action.name === name);
    let message: string;
    if (failed) message = `${name}: ${failed.error}`;
    else if (!before?.profilingPath) message = slot?.profilingPath ? `${name}: the profiling variant is built and active; run it to collect profile data, then build again` : `${name}: ${slot?.reason ?? 'nothing happened'}`;
    else if (slot?.buildRequested) message = `${name}: no merged profile yet; run the profiling variant first (${slot.reason})`;
    else message = `${name}: ${slot?.state ?? 'unknown'}: ${slot?.reason ?? ''}`;
    return { name, by: 'here', slot, message };
  } finally {
    await daemon.close();
  }
}
