// Emacs 28 for the terminal, from Debian's source package: batch workloads
// that exercise the C core (byte-compiling, regular expressions, json.el, Org
// export), trained on one set and measured on another, plus a long-running
// `emacs --daemon` driven by emacsclient as part of the training.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../../../src/process/run.js';
import { benchRoot } from '../../paths.js';
import type { Check, ProgramSpec, Workload } from '../../program-spec.js';
import { describeDebianProgram, type SourceTree } from '../../real-programs.js';
import { trainEmacsDaemon } from './live.js';
import { profileOptions, splitConfigureOptions, validateEmacsOutput, workloadKind } from './outputs.js';

const workloads = join(benchRoot, 'workloads', 'emacs');

const script = (set: 'train' | 'measure', name: string, label = name): Workload => ({
  name: label,
  args: ['-Q', '--batch', '-l', join(workloads, set, `${name}.el`)],
});

/** The files the long-running Emacs visits, fontifies and edits (none is byte-compiled by a measuring run). */
export const LIVE_FILES: readonly string[] = [
  'startup.el',
  'window.el',
  'frame.el',
  'faces.el',
  'abbrev.el',
  'bindings.el',
  'buff-menu.el',
  'dired.el',
  'emacs-lisp/cl-macs.el',
  'emacs-lisp/pcase.el',
  'emacs-lisp/seq.el',
  'emacs-lisp/ert.el',
  'emacs-lisp/package.el',
  'progmodes/compile.el',
  'progmodes/grep.el',
  'progmodes/elisp-mode.el',
  'textmodes/fill.el',
  'textmodes/paragraphs.el',
  'etc/NEWS.27',
  'etc/NEWS.26',
  'etc/TODO',
];

async function evalIn(binary: string, expression: string): Promise<string> {
  return (await run(binary, ['-Q', '--batch', '--eval', `(princ ${expression})`])).stdout;
}

/**
 * Each variant loads the dump of its own output (emacs.pdmp next to its
 * binary's libexec), and no variant's `system-configuration-options` names a
 * profile or a profiling flag. The optimized Nix output refers to its profile
 * once, on purpose: in the manifest (nix-support/pgo.json), not in the binary.
 */
async function emacsChecks(variants: readonly { name: string; root: string; binary: string }[]): Promise<Check[]> {
  const checks: Check[] = [];
  const dumps: string[] = [];
  const wrongDump: string[] = [];
  const recorded: string[] = [];
  const nixPgo = variants.find((v) => v.name === 'nix-pgo');
  const manifest = nixPgo
    ? (JSON.parse(readFileSync(join(nixPgo.root, 'nix-support', 'pgo.json'), 'utf8')) as { profile?: string })
    : {};
  const profile = manifest.profile ?? null;
  for (const variant of variants) {
    const dump = (await evalIn(variant.binary, "(cdr (assq 'dump-file-name (pdumper-stats)))")).trim();
    dumps.push(`${variant.name}: ${dump}`);
    if (!dump.startsWith(`${variant.root}/`)) wrongDump.push(variant.name);
    const options = splitConfigureOptions(await evalIn(variant.binary, 'system-configuration-options'));
    const named = profileOptions(options, profile);
    if (named.length > 0) recorded.push(`${variant.name}: ${named.join(' ')}`);
  }
  checks.push({
    name: 'every variant runs with the dump of its own build',
    ok: wrongDump.length === 0,
    detail: dumps.join('; '),
  });
  checks.push({
    name: 'no variant records a profile in system-configuration-options',
    ok: recorded.length === 0,
    detail:
      recorded.length === 0
        ? 'the profiling flags reach the compiler through $CC and the cc wrapper, which Emacs does not record'
        : recorded.join('; '),
  });
  if (nixPgo && profile) checks.push(await checkProfileReference(nixPgo.root, profile));
  return checks;
}

/** Sum of `nix-store -q --size` over the paths. */
async function storeSize(paths: readonly string[]): Promise<number> {
  const { stdout } = await run('nix-store', ['-q', '--size', ...paths]);
  return stdout
    .split('\n')
    .filter(Boolean)
    .reduce((sum, line) => sum + Number(line), 0);
}

/** The optimized output's references to its profile: only the manifest names it. */
async function checkProfileReference(root: string, profile: string): Promise<Check> {
  const hash = profile.replace(/^\/nix\/store\//, '').slice(0, 32);
  const references = (await run('nix-store', ['-q', '--references', root])).stdout.split('\n').filter(Boolean);
  // grep exits 1 when nothing matches.
  const { stdout } = await run('sh', ['-c', 'grep -rlF -- "$1" "$2" || true', 'sh', hash, root]);
  const files = stdout
    .split('\n')
    .filter(Boolean)
    .map((path) => path.slice(root.length + 1));
  const closure = (await run('nix-store', ['-q', '--requisites', root])).stdout.split('\n').filter(Boolean);
  const closureBytes = await storeSize(closure);
  const profileBytes = await storeSize([profile]);
  const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
  const ok = references.includes(profile) && files.length === 1 && files[0] === 'nix-support/pgo.json';
  return {
    name: 'the optimized output refers to its profile from its manifest only',
    ok,
    detail:
      `${files.length === 0 ? 'no file' : files.join(', ')} names ${profile}; ` +
      `the profile is ${mb(profileBytes)} of a ${mb(closureBytes)} closure (${closure.length} paths)`,
  };
}

export function makeEmacsSpec(src: SourceTree): ProgramSpec {
  const base = describeDebianProgram('emacs', src, 'emacs');
  return {
    ...base,
    // build.sh installs into the output directory: the binary is bin/emacs there, for Nix and by hand alike.
    byHand: { ...base.byHand, binary: 'bin/emacs' },
    train: [
      script('train', 'byte-compile', 'byte-compile (libraries)'),
      script('train', 'regex', 'regex (Lisp sources, NEWS)'),
      script('train', 'json', 'json (matrix, tree, events)'),
      script('train', 'org-export', 'org-export (ascii, md)'),
    ],
    measure: [
      script('measure', 'byte-compile'),
      script('measure', 'regex'),
      script('measure', 'json'),
      script('measure', 'org-export'),
    ],
    // The measuring scripts with `bench-real-use' set: other seeds, sizes and files (bench-lib.el).
    realUse: ['byte-compile', 'regex', 'json', 'org-export'].map((name) => ({
      name: `${name} (real use)`,
      args: ['-Q', '--batch', '--eval', '(setq bench-real-use t)', '-l', join(workloads, 'measure', `${name}.el`)],
    })),
    // Timers, garbage collection and the daemon's event loop make two trainings' counts differ slightly.
    deterministicTraining: false,
    validateOutput: (workload, stdout) => {
      const kind = workloadKind(workload.args);
      return kind ? validateEmacsOutput(kind, stdout) : [`${workload.name} is no Emacs workload this benchmark knows`];
    },
    trainLive: (session) => trainEmacsDaemon(session, join(workloads, 'train', 'live.el'), LIVE_FILES),
    checks: (variants) => emacsChecks(variants),
    // One repetition runs 4 workloads of 1.5-5 s on 6 variants (about 50 s here), plus one untimed run per copy:
    // 6 copies of 2 repetitions take about 15 minutes, against builds of more than an hour.
    defaultCopies: 6,
    defaultRepetitions: 2,
    // A build compiles the C core and byte-compiles about 1,500 Lisp files: 12-20 minutes on 2 cores.
    buildTimeoutMinutes: 90,
  };
}
