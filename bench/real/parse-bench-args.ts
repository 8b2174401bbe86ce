// The benchmark's command line, parsed into options with every problem named.
import { parseArgs } from 'node:util';

export const PROGRAMS = ['lua', 'sqlite', 'emacs', 'calc'] as const;
export type ProgramName = (typeof PROGRAMS)[number];

export interface BenchArgs {
  programs: ProgramName[];
  /** null: each program's own default (20; Emacs 12). */
  repetitions: number | null;
  work: string | null;
  sources: string | null;
  callgrind: boolean;
  /** `daemon`: the nix-pgo daemon harvests, merges, builds and switches; `local`: merge and pgo.optimize by script. */
  nixPgoSource: 'daemon' | 'local';
  json: boolean;
  help: boolean;
}

export const USAGE = `usage: node dist/bench/real/run.js [options]
  --programs LIST   comma-separated, from ${PROGRAMS.join(', ')} (default lua,sqlite)
  --reps N          interleaved repetitions (default: 20; emacs 12, its runs are long)
  --work DIR        scratch directory: out-links, profiles, by-hand builds (default: a new temporary one)
  --sources DIR     cache of Debian source trees (default $XDG_CACHE_HOME/nix-pgo/bench-src)
  --no-callgrind    skip the instruction counts and cachegrind's cache and branch simulation
  --local-merge     make the nix-pgo variant by merging and building pgo.optimized directly, not through the daemon
                    (no BOLT variants then: they come through the daemon)
  --json            print the results as JSON on stdout (progress stays on stderr)
`;

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      programs: { type: 'string', default: 'lua,sqlite' },
      reps: { type: 'string' },
      work: { type: 'string' },
      sources: { type: 'string' },
      'no-callgrind': { type: 'boolean', default: false },
      'local-merge': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
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
  if (problems.length > 0) throw new Error(`${problems.join('\n')}\n\n${USAGE}`);
  return {
    programs: programs as ProgramName[],
    repetitions,
    work: values.work ?? null,
    sources: values.sources ?? null,
    callgrind: !values['no-callgrind'],
    nixPgoSource: values['local-merge'] ? 'local' : 'daemon',
    json: values.json,
    help: values.help,
  };
}
