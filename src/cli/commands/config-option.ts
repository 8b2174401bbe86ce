// The --config option every state command shares.
import { readConfig } from '../../config/read-config.js';
import type { Config } from '../../config/config-types.js';
import type { ParsedArgs } from '../command.js';

export const CONFIG_USAGE = '  --config FILE  the config (default: $NIX_PGO_CONFIG, else ~/.config/nix-pgo/config.json)';

export function loadConfig(args: ParsedArgs): Promise<Config> {
  const file = args.options['config'];
  return readConfig({ file: typeof file === 'string' ? file : undefined });
}
