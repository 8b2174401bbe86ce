/**
 * The config's `trustedUsers` as the collector applies them: user names
 * resolved to uids when the collector starts (so a check at build time, where
 * the users may not exist yet, needs none of them).
 */
import type { TrustedUsers } from '../config/config-types.js';
import { InputError } from '../errors/errors.js';
import type { TrustRule } from '../harvest/attribution.js';
import { lookupUid } from '../tools/getent.js';

export async function resolveTrust(trusted: TrustedUsers, where: string): Promise<TrustRule> {
  if (trusted.anyone) return { anyone: true };
  const uids = new Set<number>();
  const unknown: string[] = [];
  for (const user of trusted.users) {
    if (typeof user === 'number') uids.add(user);
    else {
      const uid = await lookupUid(user);
      if (uid === null) unknown.push(user);
      else uids.add(uid);
    }
  }
  if (unknown.length > 0) {
    throw new InputError('CONFIG_INVALID', `${where}: no such user: ${unknown.join(', ')}`, {
      hints: ['create the user, or remove the name from trustedUsers (a uid works for users that come and go)'],
    });
  }
  return { anyone: false, uids };
}
