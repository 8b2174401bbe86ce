/**
 * `nix-pgo check [PACKAGE]`: compare each package's derivation with what the
 * Nix file gives now, at once. Without a daemon this process checks; with one
 * running, the daemon checks at its next tick and this waits for its answer.
 * An upgrade found is carried over by the daemon (or by `nix-pgo build`).
 */
import { checkUpgrade, type CheckReport } from '../actions/check-upgrade.js';
import { recordStep } from '../actions/record-step.js';
import type { Config } from '../config/config-types.js';
import { findPackage } from '../config/find-package.js';
import type { Logger } from '../log/logger.js';
import type { LifecycleRecord } from '../model/lifecycle-record.js';
import { getLifecycle } from '../state/lifecycle-records.js';
import { actNow } from './act-now.js';

export interface CheckNowResult {
  /** `daemon`: the running daemon checked; `here`: this process did. */
  by: 'daemon' | 'here';
  /** `pending`: the daemon had not answered when this stopped waiting. */
  packages: { name: string; result: CheckReport['result'] | 'pending'; record: LifecycleRecord | null }[];
}

export async function checkNow(
  config: Config,
  only: string | undefined,
  options: { logger?: Logger; waitMs?: number } = {},
): Promise<CheckNowResult> {
  const names = only === undefined ? config.packages.map((p) => p.name) : [findPackage(config, only).name];
  return actNow<CheckNowResult>(
    config,
    options,
    async (daemon) => {
      const packages: CheckNowResult['packages'] = [];
      for (const name of names) packages.push(await checkUpgrade(daemon.ctx, name));
      return { by: 'here', packages };
    },
    async (ctx) => {
      const asked = ctx.now().toISOString();
      for (const name of names) recordStep(ctx, name, (r) => ({ ...r, checkRequested: true }), 'check-requested');
      const until = Date.now() + (options.waitMs ?? 300_000);
      for (;;) {
        const records = names.map((name) => getLifecycle(ctx.db, name));
        const answered = records.every((r) => !r?.checkRequested);
        if (answered || Date.now() > until)
          return {
            by: 'daemon',
            packages: names.map((name, i) => ({
              name,
              result: resultOf(records[i] ?? null, asked),
              record: records[i] ?? null,
            })),
          };
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    },
  );
}

/** What the daemon's check found, read from the record it left. */
function resultOf(record: LifecycleRecord | null, asked: string): CheckNowResult['packages'][number]['result'] {
  if (!record?.activePath) return 'nothing-active';
  if (record.checkRequested) return 'pending';
  if (record.checkError) return 'failed';
  return (record.history ?? []).some((h) => h.event === 'upgraded' && h.at >= asked) ? 'changed' : 'same';
}
