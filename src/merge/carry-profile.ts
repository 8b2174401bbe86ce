/**
 * The profile at the end of a refresh window: the fresh data of the new
 * derivation, plus the part of the profile carried over whose functions the
 * new derivation still has unchanged, the two weighed to the same counts on
 * the functions they share (measure-match.ts says why).
 */
import { rmSync } from 'node:fs';
import type { Toolchain } from '../formats/manifest.js';
import { planCarryWeights } from './measure-match.js';
import { profileFormat } from './profile-formats.js';

export interface CarryReport {
  /** The factors the fresh data and the carried profile were scaled by. */
  weights: { fresh: number; carried: number };
  /** Functions with counts in both. */
  shared: number;
}

/** Publishes the combination as `target`; `buildKeys` null (unknown) keeps the whole carried profile. */
export async function combineWithCarried(
  toolchain: Toolchain,
  tool: string,
  fresh: string,
  carried: string,
  buildKeys: readonly string[] | null,
  target: string,
): Promise<CarryReport> {
  const format = profileFormat(toolchain);
  const restricted = `${target}.carried`;
  try {
    const kept = buildKeys === null ? carried : restricted;
    if (buildKeys !== null) await format.restrictToKeys(tool, carried, buildKeys, restricted);
    const freshMass = new Map((await format.listRecords(tool, fresh)).map((r) => [r.key, r.mass] as const));
    let freshShared = 0;
    let carriedShared = 0;
    let shared = 0;
    for (const r of await format.listRecords(tool, kept)) {
      const f = freshMass.get(r.key) ?? 0;
      if (f <= 0 || r.mass <= 0) continue;
      shared++;
      freshShared += f;
      carriedShared += r.mass;
    }
    const weights = planCarryWeights(freshShared, carriedShared);
    await format.combine(
      tool,
      [
        { path: fresh, weight: weights.fresh },
        { path: kept, weight: weights.carried },
      ],
      target,
    );
    return { weights, shared };
  } finally {
    rmSync(restricted, { recursive: true, force: true });
  }
}
