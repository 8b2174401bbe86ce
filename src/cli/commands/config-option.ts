// The --config option every state command shares.
import { readConfig } from '../../config/read-config.js';
import type { Config } from '../../config/config-types.js';
import type { OptionSpecs } from '../command.js';

export const CONFIG_OPTION = { config: { type: 'string' } } as const satisfies OptionSpecs;

export const CONFIG_USAGE =
  '  --config FILE  the config file, which must exist (default: $NIX_PGO_CONFIG, which must exist too; else ~/.config/nix-pgo/config.json if there)';

export function loadConfig(args: { options: { config?: string } }): Promise<Config> {
  return readConfig({ file: args.options.config });
}
