// The benchmark's command line, parsed into options with every problem named.
import { parseArgs } from 'node:util';

export const PROGRAMS = ['lua', 'sqlite', 'emacs', 'calc'] as const;
export type ProgramName = (typeof PROGRAMS)[number];

export interface BenchArgs {
  programs: ProgramName[];
  /** Fresh page-cache copies per variant; null: each program's own default (8; Emacs 6). */
  copies: number | null;
  /** Interleaved repetitions per copy; null: each program's own default (3; Emacs 2). */
  repetitions: number | null;
  /** The processor timed runs are pinned to: a number, 'default' (the last one allowed), or null (`--cpu none`). */
  cpu: number | 'default' | null;
  work: string | null;
  sources: string | null;
  callgrind: boolean;
  /** `daemon`: the nix-pgo daemon harvests, merges, builds and switches; `local`: merge and pgo.optimize by script. */
  nixPgoSource: 'daemon' | 'local';
  json: boolean;
  /** Two --json outputs to compare instead of running: do their ratios agree within their IQRs? */
  compare: [string, string] | null;
  /** A --json output to print as the report instead of running. */
  report: string | null;
  help: boolean;
}

export const USAGE = `usage: node dist/bench/real/run.js [options]
  --programs LIST   comma-separated, from ${PROGRAMS.join(', ')} (default lua,sqlite)
  --copies K        fresh page-cache copies of each variant's binary (default 8; emacs 6)
  --reps N          interleaved repetitions per copy (default 3; emacs 2): n = K x N samples per variant
  --cpu C           pin every timed run to processor C (default: the last one this process may use; none: no pinning)
  --work DIR        scratch directory: out-links, profiles, by-hand builds (default: a new temporary one)
  --sources DIR     cache of Debian source trees (default $XDG_CACHE_HOME/nix-pgo/bench-src)
  --no-callgrind    skip the instruction counts and cachegrind's cache and branch simulation (one run per workload and variant)
  --local-merge     make the nix-pgo variant by merging and building pgo.optimized directly, not through the daemon
                    (no BOLT variants then: they come through the daemon)
  --json            print the results as JSON on stdout (progress stays on stderr)
  --compare A.json B.json   run nothing: say whether two --json runs agree (every ratio's IQRs overlap); exit 1 if not
  --report A.json   run nothing: print the report of a --json run
`;

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      programs: { type: 'string', default: 'lua,sqlite' },
      copies: { type: 'string' },
      reps: { type: 'string' },
      cpu: { type: 'string' },
      compare: { type: 'boolean', default: false },
      report: { type: 'boolean', default: false },
      work: { type: 'string' },
      sources: { type: 'string' },
      'no-callgrind': { type: 'boolean', default: false },
      'local-merge': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  const problems: string[] = [];
  const programs = values.programs.split(',').filter(Boolean);
  for (const name of programs) {
    if (!(PROGRAMS as readonly string[]).includes(name))
      problems.push(`unknown program "${name}" (known: ${PROGRAMS.join(', ')})`);
  }
  if (programs.length === 0) problems.push('--programs names no program');
  const repetitions = values.reps === undefined ? null : Number(values.reps);
  if (repetitions !== null && (!Number.isInteger(repetitions) || repetitions < 1))
    problems.push(`--reps must be a positive integer, not "${values.reps}"`);
  const copies = values.copies === undefined ? null : Number(values.copies);
  if (copies !== null && (!Number.isInteger(copies) || copies < 1))
    problems.push(`--copies must be a positive integer, not "${values.copies}"`);
  let cpu: number | 'default' | null = 'default';
  if (values.cpu === 'none') cpu = null;
  else if (values.cpu !== undefined) {
    cpu = Number(values.cpu);
    if (!Number.isInteger(cpu) || cpu < 0)
      problems.push(`--cpu must be a processor number or "none", not "${values.cpu}"`);
  }
  if (values.compare && positionals.length !== 2) problems.push('--compare takes two JSON files');
  if (values.report && positionals.length !== 1) problems.push('--report takes one JSON file');
  if (!values.compare && !values.report && positionals.length > 0)
    problems.push(`unexpected argument "${positionals[0]}"`);
  if (problems.length > 0) throw new Error(`${problems.join('\n')}\n\n${USAGE}`);
  return {
    programs: programs as ProgramName[],
    copies,
    repetitions,
    cpu,
    work: values.work ?? null,
    sources: values.sources ?? null,
    callgrind: !values['no-callgrind'],
    nixPgoSource: values['local-merge'] ? 'local' : 'daemon',
    json: values.json,
    compare: values.compare ? [positionals[0]!, positionals[1]!] : null,
    report: values.report ? positionals[0]! : null,
    help: values.help,
  };
}
