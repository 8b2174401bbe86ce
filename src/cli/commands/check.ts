// `nix-pgo check [PACKAGE]`: compare the packages' derivations with what the Nix file gives now.
import { checkNow, type CheckNowResult } from '../../daemon/check-now.js';
import { InputError } from '../../errors/errors.js';
import { describeOrigin } from '../../lifecycle/next-record.js';
import type { Command } from '../command.js';
import { commandLogger } from './command-logger.js';
import { CONFIG_OPTION, CONFIG_USAGE, loadConfig } from './config-option.js';

function renderPackage(p: CheckNowResult['packages'][number]): string {
  const r = p.record;
  const active = r?.activeVariant
    ? `the ${r.activeVariant} variant of ${describeOrigin(r.origins?.[r.activeVariant])}`
    : '';
  switch (p.result) {
    case 'nothing-active':
      return `${p.name}: nothing active yet; the daemon builds the current derivation first`;
    case 'pending':
      return `${p.name}: the daemon has not checked yet; see nix-pgo status ${p.name}`;
    case 'failed':
      return `${p.name}: the Nix file could not be evaluated: ${r?.checkError ?? 'unknown error'}`;
    case 'same':
      return `${p.name}: unchanged: ${active} is what the Nix file gives`;
    case 'changed':
      return r?.upgrade
        ? `${p.name}: changed: ${describeOrigin(r.upgrade.from)} → ${describeOrigin(r.upgrade.to)}; ${r.reason}`
        : `${p.name}: changed: ${r?.reason ?? ''}`;
  }
}

export const checkCommand: Command<CheckNowResult, typeof CONFIG_OPTION> = {
  name: 'check',
  summary: "compare packages' derivations with the Nix file now (an upgrade is then built with the profile it had)",
  usage: [
    'nix-pgo check [PACKAGE] [--config FILE] [--json]',
    '  evaluates the Nix file (builds nothing); the daemon also checks at its start, on reload and every',
    '  policy.upgrades.checkMinutes. With a daemon running, it checks and this waits for its answer.',
    CONFIG_USAGE,
  ].join('\n'),
  options: CONFIG_OPTION,
  async run(args) {
    if (args.positionals.length > 1)
      throw new InputError('USAGE', 'check takes at most one package name', {
        hints: ['usage: nix-pgo check [PACKAGE]'],
      });
    return checkNow(await loadConfig(args), args.positionals[0], { logger: commandLogger(args) });
  },
  render: (result) => result.packages.map(renderPackage).join('\n') || 'no managed packages',
  exitCode: (result) => (result.packages.some((p) => p.result === 'failed') ? 1 : 0),
};
