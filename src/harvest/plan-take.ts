/**
 * Decides, from the bytes copied out of one spool file, what goes to which
 * package and what goes to quarantine, with what each piece holds (runs per
 * binary or object, and its mass: the sum of its counters). Pure: no file
 * system, no clock.
 */
import { parseFdata, type FdataReader } from '../formats/fdata.js';
import { parseGcda } from '../formats/gcda-file.js';
import type { QuarantineReason } from '../formats/quarantine-reason.js';
import { parseRawProfile, type RawProfileSegment } from '../formats/raw-profile.js';
import type { SpoolFile } from '../spool/scan.js';
import { findGcdaOwner, trusts, type Attribution } from './attribution.js';

export interface PlannedPiece {
  package: string;
  bytes: Buffer;
  /** A piece streamed into staging as it was read (a BOLT profile): its file and length, instead of `bytes`. */
  staged?: { path: string; length: number };
  /** gcda and fdata: the file's path inside its package's tree (what gcov-tool merges by; `<build id>.fdata`). */
  relPath?: string;
  /** Runs per unit: the build id of each binary (clang, BOLT), or the gcda file's path (gcc). */
  runs: Record<string, number>;
  mass: number;
}

export interface PlannedQuarantine {
  reason: QuarantineReason;
  detail: string;
  package: string | null;
  bytes: Buffer;
  /** A copy already written to staging (a streamed BOLT profile), to keep instead of `bytes`. */
  staged?: { path: string; length: number };
}

export interface TakePlan {
  pieces: PlannedPiece[];
  quarantine: PlannedQuarantine[];
}

export function planTake(file: SpoolFile, bytes: Buffer, attribution: Attribution): TakePlan {
  if (file.format === 'fdata') return planFdata(file, bytes, attribution);
  return file.format === 'llvm' ? planLlvm(file, bytes, attribution) : planGcda(file, bytes, attribution);
}

/** Runs and mass of raw profile bytes: one run per profile of a binary (a process writes one per binary it loaded). */
export function measureRaw(segments: readonly RawProfileSegment[]): { runs: Record<string, number>; mass: number } {
  const runs: Record<string, number> = {};
  let mass = 0;
  for (const segment of segments) {
    const unit = segment.binaryIds[0] ?? 'no-build-id';
    runs[unit] = (runs[unit] ?? 0) + 1;
    mass += segment.mass;
  }
  return { runs, mass };
}

function untrusted(pkg: string, uid: number, bytes: Buffer): PlannedQuarantine {
  return {
    reason: 'untrusted-contributor',
    detail: `uid ${uid} is not among the trusted users of ${pkg}`,
    package: pkg,
    bytes,
  };
}

function planLlvm(file: SpoolFile, bytes: Buffer, attribution: Attribution): TakePlan {
  const parsed = parseRawProfile(bytes);
  if (!parsed.ok) {
    // One bad profile makes the rest of the file unreadable for llvm-profdata too, so the whole file goes.
    return { pieces: [], quarantine: [{ reason: parsed.problem, detail: parsed.detail, package: null, bytes }] };
  }
  const byPackage = new Map<string, RawProfileSegment[]>();
  const quarantine: PlannedQuarantine[] = [];
  for (const segment of parsed.segments) {
    const slice = bytes.subarray(segment.offset, segment.offset + segment.length);
    const owners = new Set(
      segment.binaryIds.map((id) => attribution.byBuildId.get(id)).filter((p): p is string => p !== undefined),
    );
    const [owner] = owners;
    if (owner === undefined || owners.size > 1) {
      const detail =
        segment.binaryIds.length === 0
          ? 'the profile carries no binary id (link with -Wl,--build-id)'
          : owners.size > 1
            ? `binary ids ${segment.binaryIds.join(',')} belong to several packages`
            : `binary id ${segment.binaryIds.join(',')} is in no managed profiling build`;
      quarantine.push({ reason: 'unknown-binary-id', detail, package: null, bytes: slice });
    } else if (!trusts(attribution, owner, file.uid)) {
      quarantine.push(untrusted(owner, file.uid, slice));
    } else {
      byPackage.set(owner, [...(byPackage.get(owner) ?? []), segment]);
    }
  }
  const pieces = [...byPackage].map(([pkg, segments]) => ({
    package: pkg,
    // One profile (the usual file) is a view of the bytes read, not a copy.
    bytes:
      segments.length === 1
        ? bytes.subarray(segments[0]!.offset, segments[0]!.offset + segments[0]!.length)
        : Buffer.concat(segments.map((s) => bytes.subarray(s.offset, s.offset + s.length))),
    ...measureRaw(segments),
  }));
  return { pieces, quarantine };
}

function planGcda(file: SpoolFile, bytes: Buffer, attribution: Attribution): TakePlan {
  const found = file.gcdaPath === undefined ? null : findGcdaOwner(attribution, file.gcdaPath);
  if (found === null) {
    return {
      pieces: [],
      quarantine: [
        {
          reason: 'unknown-package',
          detail: `${file.gcdaPath ?? file.path} is below no gcdaDir of a managed profiling build`,
          package: null,
          bytes,
        },
      ],
    };
  }
  const owner = found.package;
  const parsed = parseGcda(bytes);
  if (!parsed.ok)
    return { pieces: [], quarantine: [{ reason: parsed.problem, detail: parsed.detail, package: owner, bytes }] };
  const manifest = attribution.packages.get(owner)?.manifest;
  const expected = Number(manifest?.compilerVersion.split('.')[0]);
  if (Number.isInteger(expected) && parsed.file.compilerMajor !== expected) {
    return {
      pieces: [],
      quarantine: [
        {
          reason: 'format-version',
          detail: `written by GCC ${parsed.file.compilerMajor}, the build used GCC ${expected}`,
          package: owner,
          bytes,
        },
      ],
    };
  }
  if (!trusts(attribution, owner, file.uid)) return { pieces: [], quarantine: [untrusted(owner, file.uid, bytes)] };
  const mass = parsed.file.functions.reduce((sum, fn) => sum + fn.arcs.reduce((s, c) => s + Number(c), 0), 0);
  return {
    pieces: [{ package: owner, bytes, relPath: found.relPath, runs: { [found.relPath]: parsed.file.runs }, mass }],
    quarantine: [],
  };
}

/**
 * A BOLT profile streamed into staging (`staged`) and checked on the way (`check`): the whole file goes to its
 * package, or to the quarantine with the check's problem. Trust was decided before it was read (claim-files.ts).
 */
export function planStreamedFdata(
  file: SpoolFile,
  check: ReturnType<FdataReader['end']>,
  staged: { path: string; length: number },
  attribution: Attribution,
): TakePlan {
  const buildId = file.fdata?.buildId ?? '';
  const owner = attribution.byBoltId.get(buildId) ?? null;
  if (!check.ok || owner === null) {
    const problem = check.ok
      ? { reason: 'unknown-binary-id' as const, detail: `build id ${buildId} is in no managed BOLT-instrumented build` }
      : { reason: check.problem, detail: check.detail };
    return { pieces: [], quarantine: [{ ...problem, package: owner, bytes: EMPTY, staged }] };
  }
  return {
    pieces: [
      { package: owner, bytes: EMPTY, staged, relPath: `${buildId}.fdata`, runs: { [buildId]: 1 }, mass: check.mass },
    ],
    quarantine: [],
  };
}

const EMPTY = Buffer.alloc(0);

/** One process's BOLT profile of one file: the package is named by the build id in the file's name. */
function planFdata(file: SpoolFile, bytes: Buffer, attribution: Attribution): TakePlan {
  const buildId = file.fdata?.buildId ?? '';
  const owner = attribution.byBoltId.get(buildId);
  if (owner === undefined) {
    return {
      pieces: [],
      quarantine: [
        {
          reason: 'unknown-binary-id',
          detail: `build id ${buildId || '(none)'} is in no managed BOLT-instrumented build`,
          package: null,
          bytes,
        },
      ],
    };
  }
  const parsed = parseFdata(bytes);
  if (!parsed.ok)
    return { pieces: [], quarantine: [{ reason: parsed.problem, detail: parsed.detail, package: owner, bytes }] };
  if (!trusts(attribution, owner, file.uid)) return { pieces: [], quarantine: [untrusted(owner, file.uid, bytes)] };
  return {
    pieces: [{ package: owner, bytes, relPath: `${buildId}.fdata`, runs: { [buildId]: 1 }, mass: parsed.mass }],
    quarantine: [],
  };
}
