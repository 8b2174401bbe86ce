// Typed wrapper for `getent passwd`: user names to ids through NSS (local files, LDAP, systemd's dynamic users).
import { run } from '../process/run.js';

/** The uid of a user name, or null when no such user exists. */
export async function lookupUid(name: string): Promise<number | null> {
  try {
    const { stdout } = await run('getent', ['passwd', name]);
    const uid = Number(stdout.split(':')[2]);
    return Number.isInteger(uid) ? uid : null;
  } catch {
    return null;
  }
}

/** The name of a uid, or null. */
export async function lookupUserName(uid: number): Promise<string | null> {
  try {
    const { stdout } = await run('getent', ['passwd', String(uid)]);
    return stdout.split(':')[0] || null;
  } catch {
    return null;
  }
}
