// `nix-pgo fleet [publish|aggregate|follow] [--build]`: this machine's part in its fleet, now.
import { fleetNow, type FleetNowResult } from '../../daemon/fleet-now.js';
import { InputError } from '../../errors/errors.js';
import { FLEET_STEPS, type FleetStep } from '../../fleet/run-fleet-round.js';
import { suggestName } from '../../suggest/suggest-name.js';
import type { Command, OptionSpecs } from '../command.js';
import { commandLogger } from './command-logger.js';
import { CONFIG_OPTION, CONFIG_USAGE, loadConfig } from './config-option.js';

const OPTIONS = { ...CONFIG_OPTION, build: { type: 'flag' } } as const satisfies OptionSpecs;

export const fleetCommand: Command<FleetNowResult, typeof OPTIONS> = {
  name: 'fleet',
  summary:
    "run this machine's part in its fleet now: publish its profiles, aggregate (the aggregator), follow the fleet lock",
  usage: [
    'nix-pgo fleet [publish|aggregate|follow] [--build] [--config FILE] [--json]',
    '  STEP       one step only (default: every step of the role, in this order)',
    "  --build    aggregator: build every package that has data now, whatever the fleet's threshold says",
    CONFIG_USAGE,
  ].join('\n'),
  options: OPTIONS,
  async run(args) {
    if (args.positionals.length > 1)
      throw new InputError('USAGE', 'fleet takes at most one step', {
        hints: ['usage: nix-pgo fleet [publish|aggregate|follow]'],
      });
    const step = args.positionals[0];
    if (step !== undefined && !FLEET_STEPS.includes(step as FleetStep)) {
      const close = suggestName(step, FLEET_STEPS);
      throw new InputError('USAGE', `fleet has no step "${step}"`, {
        hints: [close ? `did you mean "${close}"?` : `steps: ${FLEET_STEPS.join(', ')}`],
      });
    }
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      return await fleetNow(
        await loadConfig(args),
        { ...(step ? { steps: [step as FleetStep] } : {}), ...(args.options.build ? { build: true } : {}) },
        { logger: commandLogger(args), signal: controller.signal },
      );
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
  render: renderFleetNow,
  exitCode: (result) => (result.by === 'here' && result.errors.length > 0 ? 1 : 0),
};

function renderFleetNow(result: FleetNowResult): string {
  if (result.by === 'daemon')
    return 'the running daemon runs a fleet round at its next tick; follow it with nix-pgo status';
  const lines: string[] = [`${result.machine} (${result.role}):`];
  const p = result.published;
  if (p) lines.push(p.record ? `  published ${p.packages.join(', ')}: ${p.record}` : '  published: nothing new');
  const a = result.aggregated;
  if (a)
    lines.push(
      a.generation === null
        ? `  aggregated: no build due${a.failed.length > 0 ? `; failed: ${a.failed.join(', ')}` : ''}`
        : `  aggregated: built ${a.built.join(', ')}; published fleet lock generation ${a.generation}`,
    );
  const f = result.followed;
  if (f) {
    const done = Object.entries(f.packages).map(([name, outcome]) => `${name} ${outcome}`);
    lines.push(
      f.generation === null
        ? '  followed: the fleet has no lock yet'
        : `  followed: lock generation ${f.generation}${done.length > 0 ? `: ${done.join(', ')}` : ' (nothing new)'}`,
    );
  }
  for (const e of result.errors) lines.push(`  ${e.step} FAILED: ${e.error}`);
  return lines.join('\n');
}
