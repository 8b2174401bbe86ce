/** The PGO profile the PGO-optimized variant was built with: BOLT's variants are built on exactly that build. */
import { StateError } from '../errors/errors.js';
import type { LockedProfile } from '../store/lock-file.js';
import { readLockedProfile } from '../store/store-profile.js';
import type { ActionContext } from './action-context.js';

export function lockedPgoProfile(ctx: Pick<ActionContext, 'layout'>, name: string): LockedProfile {
  const locked = readLockedProfile(ctx.layout.lockFile, name);
  if (!locked) {
    throw new StateError(
      'STATE',
      `${name} has no PGO profile in ${ctx.layout.lockFile}, and BOLT works on the PGO-optimized variant`,
      {
        hints: [`build the optimized variant again: nix-pgo switch ${name} profile, then nix-pgo build ${name}`],
      },
    );
  }
  return locked;
}
