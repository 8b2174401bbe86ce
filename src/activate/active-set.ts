/** What the next Nix profile generation holds (pure): every package's active variant, one of them replaced. */
import type { LifecycleRecord } from '../model/lifecycle-record.js';

export function activeSetWith(
  records: readonly LifecycleRecord[],
  name: string,
  storePath: string,
): Record<string, string> {
  const active: Record<string, string> = {};
  for (const r of records) if (r.activePath) active[r.name] = r.activePath;
  active[name] = storePath;
  return active;
}
