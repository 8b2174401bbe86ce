/**
 * What a new snapshot of a live raw profile adds to the one already merged
 * (pure). Counters only grow while programs run, and nothing else in the file
 * changes, so the difference is the same file with each counter replaced by
 * its growth: a valid raw profile, and merging the first snapshot and every
 * later difference gives exactly the last snapshot.
 */
import { parseFdata, renderFdata, type FdataProfile } from '../formats/fdata.js';
import { parseRawProfile } from '../formats/raw-profile.js';

export interface LiveCopy {
  bytes: Buffer;
  dev: string;
  ino: string;
}

export type LiveDiff =
  /** No snapshot of this file yet (or a new file under the same name): the whole copy counts. */
  | { kind: 'first'; bytes: Buffer }
  /** The growth since the last snapshot; `changed` is false when nothing ran. */
  | { kind: 'growth'; bytes: Buffer; changed: boolean }
  /** A copy that cannot be right now (a counter went down, a half-written file): try again next pass. */
  | { kind: 'unreadable'; detail: string };

export function diffLiveSnapshot(previous: LiveCopy | null, current: LiveCopy): LiveDiff {
  const parsed = parseRawProfile(current.bytes);
  if (!parsed.ok || parsed.segments.length !== 1)
    return {
      kind: 'unreadable',
      detail: parsed.ok ? `${parsed.segments.length} profiles in one live file` : parsed.detail,
    };
  const segment = parsed.segments[0]!;
  if (segment.counterWidth !== 8) return { kind: 'unreadable', detail: 'byte-coverage counters cannot be subtracted' };
  const start = segment.countersOffset;
  const end = start + segment.counters * 8;
  const sameFile =
    previous !== null &&
    previous.dev === current.dev &&
    previous.ino === current.ino &&
    previous.bytes.length === current.bytes.length &&
    previous.bytes.subarray(0, start).equals(current.bytes.subarray(0, start)) &&
    previous.bytes.subarray(end).equals(current.bytes.subarray(end));
  if (!sameFile) return { kind: 'first', bytes: current.bytes };
  const growth = Buffer.from(current.bytes);
  let changed = false;
  for (let at = start; at < end; at += 8) {
    const before = previous.bytes.readBigUInt64LE(at);
    const now = current.bytes.readBigUInt64LE(at);
    if (now < before)
      return { kind: 'unreadable', detail: `a counter at byte ${at} went down from ${before} to ${now}` };
    growth.writeBigUInt64LE(now - before, at);
    if (now !== before) changed = true;
  }
  return { kind: 'growth', bytes: growth, changed };
}

/**
 * What a new copy of a BOLT profile that a watcher process rewrites every few
 * seconds adds to the copy already merged (pure). Each dump holds every count
 * since the program started, so the growth is the line-wise difference. The
 * watcher rewrites the file in place, so a copy can be half written: one that
 * ends inside a line, or lacks a branch the last copy counted, or counts less
 * somewhere, is not right now and is read again next pass.
 */
export function diffFdataSnapshot(previous: LiveCopy | null, current: LiveCopy): LiveDiff {
  const now = parseFdata(current.bytes);
  if (!now.ok) return { kind: 'unreadable', detail: now.detail };
  const before =
    previous !== null && previous.dev === current.dev && previous.ino === current.ino
      ? parseFdata(previous.bytes)
      : null;
  if (before === null || !before.ok) return { kind: 'first', bytes: current.bytes };
  const growth: FdataProfile = new Map();
  for (const [key, was] of before.profile) {
    const is = now.profile.get(key);
    if (is === undefined) {
      if (was.count > 0n || was.mispredicts > 0n)
        return { kind: 'unreadable', detail: `the branch "${key}" is missing: the file is being rewritten` };
      continue;
    }
    if (is.count < was.count || is.mispredicts < was.mispredicts)
      return { kind: 'unreadable', detail: `the branch "${key}" counts less than before` };
  }
  for (const [key, is] of now.profile) {
    const was = before.profile.get(key) ?? { mispredicts: 0n, count: 0n };
    const grown = { mispredicts: is.mispredicts - was.mispredicts, count: is.count - was.count };
    if (grown.count > 0n || grown.mispredicts > 0n) growth.set(key, grown);
  }
  return growth.size === 0
    ? { kind: 'growth', bytes: Buffer.alloc(0), changed: false }
    : { kind: 'growth', bytes: renderFdata(growth), changed: true };
}
