/**
 * The version printed by `nix-pgo --version`: the one in package.json, which
 * sits three levels above the compiled dist/src/cli/.
 */
import { readFile } from 'node:fs/promises';

export async function readVersion(): Promise<string> {
  try {
    const text = await readFile(new URL('../../../package.json', import.meta.url), 'utf8');
    const version = (JSON.parse(text) as { version?: unknown }).version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}
