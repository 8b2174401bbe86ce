/**
 * The fleet lock as a machine finds it: the pointer beside the cache names a
 * store path, which counts only when the aggregator's key signed it and it
 * says it is the aggregator's; the aggregator publishes a new one with one
 * more generation and moves the pointer.
 */
import { readFileSync } from 'node:fs';
import type { NixPublicKey } from '../formats/nix-signature.js';
import { fetchSigned, readPointer } from './fleet-cache.js';
import {
  type FleetLock,
  FleetLockSchema,
  type LockPointer,
  LockPointerSchema,
  parseFleetDocument,
} from './fleet-documents.js';

export const LOCK_POINTER_NAME = 'fleet-lock.json';

export type FoundLock = { storePath: string; lock: FleetLock } | { storePath: string; refused: string };

/** A fleet lock in the local store (written or fetched before). */
export function readLockDocument(storePath: string): FleetLock {
  return parseFleetDocument<FleetLock>(FleetLockSchema, readFileSync(storePath, 'utf8'), `the fleet lock ${storePath}`);
}

/**
 * The fleet lock the cache's pointer names, fetched and checked; `refused` with why when it is not a lock the
 * aggregator signed; null when the fleet has none yet. Throws what the cache throws when it cannot be asked.
 */
export async function findFleetLock(
  cache: string,
  aggregator: NixPublicKey,
  known: { taken?: string | null; refused?: { storePath: string; why: string } | null } = {},
): Promise<FoundLock | null> {
  const text = await readPointer(cache, LOCK_POINTER_NAME);
  if (text === null) return null;
  let pointer: LockPointer;
  try {
    pointer = parseFleetDocument<LockPointer>(LockPointerSchema, text, `nix-pgo/${LOCK_POINTER_NAME}`);
  } catch (error) {
    return { storePath: '', refused: (error as Error).message };
  }
  // A lock checked before is not asked for again (most rounds find the pointer unchanged).
  if (known.taken === pointer.lock) return { storePath: pointer.lock, lock: readLockDocument(pointer.lock) };
  if (known.refused?.storePath === pointer.lock) return { storePath: pointer.lock, refused: known.refused.why };
  const problem = (await fetchSigned(cache, [pointer.lock], () => aggregator)).get(pointer.lock);
  if (problem) return { storePath: pointer.lock, refused: problem };
  let lock: FleetLock;
  try {
    lock = readLockDocument(pointer.lock);
  } catch (error) {
    return { storePath: pointer.lock, refused: (error as Error).message };
  }
  if (lock.fleet.aggregator !== aggregator.name)
    return {
      storePath: pointer.lock,
      refused: `it names ${lock.fleet.aggregator} as its aggregator, not ${aggregator.name}`,
    };
  return { storePath: pointer.lock, lock };
}
