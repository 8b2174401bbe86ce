/** Puts one package's variant into the Nix profile, beside the variant every other package has active. */
import { activeSetWith } from '../activate/active-set.js';
import { switchProfile } from '../activate/switch-profile.js';
import { listLifecycles } from '../state/lifecycle-records.js';
import type { ActionContext } from './action-context.js';

/** Returns the profile generation that holds it. */
export function switchIn(ctx: Pick<ActionContext, 'config' | 'db'>, name: string, storePath: string): Promise<number> {
  // Read at the switch, not earlier: a user's switch of another package during a long build must stay.
  return switchProfile(ctx.config.nixProfile, activeSetWith(listLifecycles(ctx.db), name, storePath));
}
