// `nix-pgo switch PACKAGE [optimized|profile]` and `nix-pgo rollback [PACKAGE]`.
import type { ActionContext } from '../../actions/action-context.js';
import type { LockChange } from '../../actions/follow-lock.js';
import { rollback, type RollbackResult } from '../../actions/rollback.js';
import { switchVariant, type SwitchResult } from '../../actions/switch-variant.js';
import type { Config } from '../../config/config-types.js';
import { createLogger } from '../../log/logger.js';
import { createNotifier } from '../../notify/notify-hook.js';
import { withDatabase } from '../../state/database.js';
import { stateLayout } from '../../state/state-layout.js';
import { InputError } from '../../errors/errors.js';
import type { Variant } from '../../model/variants.js';

const VARIANTS: readonly Variant[] = ['bolt-optimized', 'optimized', 'bolt-profile', 'profile'];
import type { Command } from '../command.js';
import { CONFIG_OPTION, CONFIG_USAGE, loadConfig } from './config-option.js';

/** Switching touches only the lifecycle table and the Nix profile, so it works beside a running daemon. */
function withSwitchContext<T>(config: Config, act: (ctx: ActionContext) => Promise<T>): Promise<T> {
  const layout = stateLayout(config.stateDir, config.spoolDir);
  return withDatabase(layout.database, (db) => {
    const logger = createLogger();
    // No desktop notification: the user who switched sees the result here; the hook still hears it.
    return act({
      config,
      db,
      layout,
      collector: null,
      notifier: createNotifier({ hook: config.notify.hook, desktop: false, logger }),
      logger,
      now: () => new Date(),
    });
  });
}

export const switchCommand: Command<SwitchResult, typeof CONFIG_OPTION> = {
  name: 'switch',
  summary: 'put one variant of a package into the Nix profile (default: its best one)',
  usage: [
    'nix-pgo switch PACKAGE [bolt-optimized|optimized|bolt-profile|profile] [--config FILE] [--json]',
    '  without a variant: bolt-optimized when it has one, else optimized',
    CONFIG_USAGE,
  ].join('\n'),
  options: CONFIG_OPTION,
  async run(args) {
    const [name, variant, ...rest] = args.positionals;
    if (name === undefined || rest.length > 0 || (variant !== undefined && !VARIANTS.includes(variant as Variant))) {
      throw new InputError('USAGE', `usage: nix-pgo switch PACKAGE [${VARIANTS.join('|')}]`);
    }
    return withSwitchContext(await loadConfig(args), (ctx) => switchVariant(ctx, name, variant as Variant | undefined));
  },
  render: (r) =>
    [
      `${r.name}: the ${r.variant} variant is active (generation ${r.generation}): ${r.storePath}`,
      ...describeLockChange(r.name, r.lock),
    ].join('\n'),
};

/** What a switch did to the lock file, for the user who rebuilds from it (pure). */
function describeLockChange(name: string, change: LockChange): string[] {
  if (change === 'unlocked')
    return [`  ${name} left the lock file: the next rebuild from it (nixos-rebuild) uses the profiling variant`];
  if (change === 'locked')
    return [`  ${name} is locked again: the next rebuild from the lock file uses the optimized variant`];
  return [];
}

export const rollbackCommand: Command<RollbackResult, typeof CONFIG_OPTION> = {
  name: 'rollback',
  summary: 'go back: one package to its profiling variant, or the whole profile one generation',
  usage: ['nix-pgo rollback [PACKAGE] [--config FILE] [--json]', CONFIG_USAGE].join('\n'),
  options: CONFIG_OPTION,
  async run(args) {
    if (args.positionals.length > 1) throw new InputError('USAGE', 'usage: nix-pgo rollback [PACKAGE]');
    return withSwitchContext(await loadConfig(args), (ctx) => rollback(ctx, args.positionals[0]));
  },
  render: (r) =>
    [
      `now at profile generation ${r.generation}`,
      ...r.packages.flatMap((p) => [
        `  ${p.name}: ${p.variant ?? 'not in this generation'}${p.storePath ? `  ${p.storePath}` : ''}`,
        ...describeLockChange(p.name, p.lock).map((l) => `  ${l}`),
      ]),
    ].join('\n'),
};
