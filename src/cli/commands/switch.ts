// `nix-pgo switch PACKAGE [optimized|profile]` and `nix-pgo rollback [PACKAGE]`.
import type { ActionContext } from '../../actions/action-context.js';
import type { LockChange } from '../../actions/follow-lock.js';
import { rollback, type RollbackResult } from '../../actions/rollback.js';
import { switchVariant, type SwitchResult } from '../../actions/switch-variant.js';
import type { Config } from '../../config/config-types.js';
import type { Logger } from '../../log/logger.js';
import { createNotifier } from '../../notify/notify-hook.js';
import { withDatabase } from '../../state/database.js';
import { stateLayout } from '../../state/state-layout.js';
import { InputError } from '../../errors/errors.js';
import type { Variant } from '../../model/variants.js';

import type { Command, OptionSpecs } from '../command.js';
import { commandLogger } from './command-logger.js';
import { CONFIG_OPTION, CONFIG_USAGE, loadConfig } from './config-option.js';

const VARIANTS: readonly Variant[] = ['bolt-optimized', 'optimized', 'bolt-profile', 'profile'];

const options = { ...CONFIG_OPTION, force: { type: 'flag' } } as const satisfies OptionSpecs;

const FORCE_USAGE =
  '  --force        switch to a profiling variant even when it is a build of an older version or derivation than the Nix file gives';

/** Switching touches only the lifecycle table and the Nix profile, so it works beside a running daemon. */
function withSwitchContext<T>(config: Config, logger: Logger, act: (ctx: ActionContext) => Promise<T>): Promise<T> {
  const layout = stateLayout(config.stateDir, config.spoolDir);
  return withDatabase(layout.database, (db) => {
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

export const switchCommand: Command<SwitchResult, typeof options> = {
  name: 'switch',
  summary: 'put one variant of a package into the Nix profile (default: its best one)',
  usage: [
    'nix-pgo switch PACKAGE [bolt-optimized|optimized|bolt-profile|profile] [--force] [--config FILE] [--json]',
    '  without a variant: bolt-optimized when it has one, else optimized',
    FORCE_USAGE,
    CONFIG_USAGE,
  ].join('\n'),
  options,
  async run(args) {
    const [name, variant, ...rest] = args.positionals;
    if (name === undefined || rest.length > 0 || (variant !== undefined && !VARIANTS.includes(variant as Variant))) {
      throw new InputError('USAGE', `usage: nix-pgo switch PACKAGE [${VARIANTS.join('|')}]`);
    }
    return withSwitchContext(await loadConfig(args), commandLogger(args), (ctx) =>
      switchVariant(ctx, name, variant as Variant | undefined, {
        force: args.options.force === true,
        command: `switch ${name} ${variant ?? ''}`.trimEnd(),
      }),
    );
  },
  render: (r) =>
    [
      `${r.name}: the ${r.variant} variant is active (generation ${r.generation}): ${r.storePath}`,
      ...(r.note ? [`  note: ${r.note}`] : []),
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

export const rollbackCommand: Command<RollbackResult, typeof options> = {
  name: 'rollback',
  summary: 'go back: one package to its profiling variant, or the whole profile one generation',
  usage: [
    'nix-pgo rollback [PACKAGE] [--force] [--config FILE] [--json]',
    '  PACKAGE        back to its profiling variant, held there until nix-pgo switch or build',
    '                 (without it: the whole Nix profile goes back one generation)',
    FORCE_USAGE,
    CONFIG_USAGE,
  ].join('\n'),
  options,
  async run(args) {
    if (args.positionals.length > 1) throw new InputError('USAGE', 'usage: nix-pgo rollback [PACKAGE]');
    return withSwitchContext(await loadConfig(args), commandLogger(args), (ctx) =>
      rollback(ctx, args.positionals[0], { force: args.options.force === true }),
    );
  },
  render: (r) =>
    [
      `now at profile generation ${r.generation}`,
      ...r.packages.flatMap((p) => [
        `  ${p.name}: ${p.variant ?? 'not in this generation'}${p.changed ? '' : ' (unchanged)'}${p.storePath ? `  ${p.storePath}` : ''}`,
        ...(p.note ? [`    note: ${p.note}`] : []),
        ...describeLockChange(p.name, p.lock).map((l) => `  ${l}`),
      ]),
    ].join('\n'),
};
