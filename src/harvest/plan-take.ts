/**
 * Decides, from the bytes copied out of one spool file, what goes to which
 * package and what goes to quarantine. Pure: no file system, no clock.
 */
import { findGcdaOwner, type Attribution } from './attribution.js';
import { parseGcda } from '../formats/gcda-file.js';
import type { QuarantineReason } from '../formats/quarantine-reason.js';
import { parseRawProfile } from '../formats/raw-profile.js';
import type { SpoolFile } from '../spool/scan.js';

export interface PlannedPiece {
  package: string;
  bytes: Buffer;
  /** gcda only: the file's path inside its package's tree (what gcov-tool merges by). */
  relPath?: string;
}

export interface PlannedQuarantine {
  reason: QuarantineReason;
  detail: string;
  package: string | null;
  bytes: Buffer;
}

export interface TakePlan {
  pieces: PlannedPiece[];
  quarantine: PlannedQuarantine[];
}

export function planTake(file: SpoolFile, bytes: Buffer, attribution: Attribution): TakePlan {
  return file.format === 'llvm' ? planLlvm(bytes, attribution) : planGcda(file, bytes, attribution);
}

function planLlvm(bytes: Buffer, attribution: Attribution): TakePlan {
  const parsed = parseRawProfile(bytes);
  if (!parsed.ok) {
    // One bad profile makes the rest of the file unreadable for llvm-profdata too, so the whole file goes.
    return { pieces: [], quarantine: [{ reason: parsed.problem, detail: parsed.detail, package: null, bytes }] };
  }
  const byPackage = new Map<string, Buffer[]>();
  const quarantine: PlannedQuarantine[] = [];
  for (const segment of parsed.segments) {
    const slice = bytes.subarray(segment.offset, segment.offset + segment.length);
    const owners = new Set(segment.binaryIds.map((id) => attribution.byBuildId.get(id)).filter((p): p is string => p !== undefined));
    const [owner] = owners;
    if (owner === undefined || owners.size > 1) {
      const detail =
        segment.binaryIds.length === 0
          ? 'the profile carries no binary id (link with -Wl,--build-id)'
          : owners.size > 1
            ? `binary ids ${segment.binaryIds.join(',')} belong to several packages`
            : `binary id ${segment.binaryIds.join(',')} is in no managed profiling build`;
      quarantine.push({ reason: 'unknown-binary-id', detail, package: null, bytes: slice });
      continue;
    }
    const list = byPackage.get(owner) ?? [];
    list.push(slice);
    byPackage.set(owner, list);
  }
  const pieces = [...byPackage].map(([pkg, slices]) => ({ package: pkg, bytes: Buffer.concat(slices) }));
  return { pieces, quarantine };
}

function planGcda(file: SpoolFile, bytes: Buffer, attribution: Attribution): TakePlan {
  const found = file.gcdaPath === undefined ? null : findGcdaOwner(attribution, file.gcdaPath);
  if (found === null) {
    return { pieces: [], quarantine: [{ reason: 'unknown-package', detail: `${file.gcdaPath ?? file.path} is below no gcdaDir of a managed profiling build`, package: null, bytes }] };
  }
  const owner = found.package;
  const parsed = parseGcda(bytes);
  if (!parsed.ok) return { pieces: [], quarantine: [{ reason: parsed.problem, detail: parsed.detail, package: owner, bytes }] };
  const manifest = attribution.packages.get(owner)?.manifest;
  const expected = Number(manifest?.compilerVersion.split('.')[0]);
  if (Number.isInteger(expected) && parsed.file.compilerMajor !== expected) {
    return {
      pieces: [],
      quarantine: [{ reason: 'format-version', detail: `written by GCC ${parsed.file.compilerMajor}, the build used GCC ${expected}`, package: owner, bytes }],
    };
  }
  return { pieces: [{ package: owner, bytes, relPath: found.relPath }], quarantine: [] };
}
