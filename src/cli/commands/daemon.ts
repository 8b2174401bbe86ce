// `nix-pgo daemon`: run the whole loop until stopped.
import { runDaemon } from '../../daemon/run-daemon.js';
import type { Command, OptionSpecs } from '../command.js';
import { CONFIG_OPTION, CONFIG_USAGE, loadConfig } from './config-option.js';

const options = {
  ...CONFIG_OPTION,
  // At least 10 ms, so a mistyped value cannot make the loop spin; at most an hour.
  'tick-ms': { type: 'integer', min: 10, max: 3_600_000 },
} as const satisfies OptionSpecs;

export const daemonCommand: Command<{ ticks: number }, typeof options> = {
  name: 'daemon',
  summary:
    'harvest, merge, build and switch until stopped; reads the config again when it changes or on SIGHUP (logs are JSON lines on stderr)',
  usage: [
    'nix-pgo daemon [--config FILE] [--tick-ms N]',
    CONFIG_USAGE,
    '  --tick-ms N     how often to plan, in milliseconds, from 10 to 3600000 (default 1000)',
  ].join('\n'),
  options,
  async run(args) {
    const config = await loadConfig(args);
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    return runDaemon(config, {
      signal: controller.signal,
      tickMs: args.options['tick-ms'],
      readConfig: () => loadConfig(args),
      onReloadRequest: (reload) => process.on('SIGHUP', reload),
    });
  },
  render: (result) => `nix-pgo daemon stopped after ${result.ticks} ticks`,
};
