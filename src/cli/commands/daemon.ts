// `nix-pgo daemon`: run the whole loop until stopped.
import { runDaemon } from '../../daemon/run-daemon.js';
import type { Command } from '../command.js';
import { CONFIG_USAGE, loadConfig } from './config-option.js';

export const daemonCommand: Command<{ ticks: number }> = {
  name: 'daemon',
  summary: 'harvest, merge, build and switch until stopped (logs are JSON lines on stderr)',
  usage: ['nix-pgo daemon [--config FILE] [--tick-ms N]', CONFIG_USAGE, '  --tick-ms N     how often to plan, in milliseconds (default 1000)'].join('\n'),
  options: { config: 'value', 'tick-ms': 'value' },
  async run(args) {
    const config = await loadConfig(args);
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    const tick = args.options['tick-ms'];
    return runDaemon(config, { signal: controller.signal, tickMs: typeof tick === 'string' ? Number(tick) : undefined });
  },
  render: (result) => `nix-pgo daemon stopped after ${result.ticks} ticks`,
};
