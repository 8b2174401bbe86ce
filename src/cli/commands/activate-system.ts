/**
 * `nix-pgo activate-system`: root's side of the switch on NixOS, run by
 * nix-pgo-activate.service when the daemon's proposal changes (see
 * src/system-profile/activate-system.ts and docs/nixos.md).
 */
import { InputError } from '../../errors/errors.js';
import { activateSystem, type ActivateSystemResult } from '../../system-profile/activate-system.js';
import type { Command, OptionSpecs } from '../command.js';
import { CONFIG_OPTION, CONFIG_USAGE, loadConfig } from './config-option.js';

const options = {
  ...CONFIG_OPTION,
  proposer: { type: 'string' },
  profile: { type: 'string' },
  lock: { type: 'string' },
} as const satisfies OptionSpecs;

function render(result: ActivateSystemResult): string {
  const width = Math.max(0, ...result.packages.map((p) => p.name.length));
  const words = {
    activated: 'activated',
    system: "the system's own variant",
    kept: 'kept what was active',
    failed: 'build failed; kept what was active',
  } as const;
  return [
    result.generation === null ? 'root profile: empty' : `root profile: generation ${result.generation}`,
    ...result.packages.map(
      (p) =>
        `  ${p.name.padEnd(width)}  ${p.variant}  ${words[p.outcome]}${p.storePath ? `: ${p.storePath}` : ''}${p.why ? ` (${p.why})` : ''}`,
    ),
    ...result.rejected.filter((r) => r.name === null).map((r) => `  rejected: ${r.why}`),
  ].join('\n');
}

export const activateSystemCommand: Command<ActivateSystemResult, typeof options> = {
  name: 'activate-system',
  summary: "root, on NixOS: check the daemon's proposal, build it and switch the system's profile",
  usage: [
    'nix-pgo activate-system --proposer USER --profile PROFILE --lock FILE [--config FILE] [--json]',
    "  --proposer USER  the daemon's user; only its files are read as the proposal",
    "  --profile PROFILE  root's Nix profile of the optimized variants (on every user's PATH)",
    "  --lock FILE      where the lock of what is active goes (the system's next rebuild reads it)",
    CONFIG_USAGE,
    'Exits 0 when every package has what was proposed, 1 when one was rejected or its build failed.',
  ].join('\n'),
  options,
  async run(args) {
    const { proposer, profile, lock } = args.options;
    if (proposer === undefined || profile === undefined || lock === undefined || args.positionals.length > 0)
      throw new InputError('USAGE', 'activate-system needs --proposer, --profile and --lock', {
        hints: ['usage: nix-pgo activate-system --proposer USER --profile PROFILE --lock FILE [--config FILE]'],
      });
    return activateSystem({ config: await loadConfig(args), proposer, profile, lockFile: lock });
  },
  render,
  exitCode: (result) =>
    result.rejected.length > 0 || result.packages.some((p) => p.outcome === 'failed' || p.outcome === 'kept') ? 1 : 0,
};
