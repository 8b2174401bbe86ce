// The repository's own example `calc` as a benchmark program: fast and
// offline, for the smoke test and for trying the runner (BOLT included).
import { join } from 'node:path';
import type { ProgramSpec } from './program-spec.js';
import { repoRoot } from './paths.js';

export function makeCalcSpec(): ProgramSpec {
  return {
    // calcBolt: calc with BOLT after PGO, so the smoke test runs every variant.
    name: 'calcBolt',
    nixFile: join(repoRoot, 'examples'),
    nixArgs: {},
    binary: 'bin/calc',
    byHand: {
      srcDir: join(repoRoot, 'examples', 'pkgs', 'calc', 'src'),
      // The package's env.NIX_CFLAGS_COMPILE, so both builds get the same flags.
      build: (srcCopy, outDir, cc) => ({
        command: 'make',
        args: ['-C', srcCopy, `CC=${cc} -DCALC_EXAMPLE=1`, `PREFIX=${outDir}`, 'install'],
      }),
      binary: 'bin/calc',
    },
    train: [
      { name: 'calc 1', args: ['1'] },
      { name: 'calc 2 primes', args: ['2', 'primes'] },
    ],
    measure: [
      { name: 'calc 3', args: ['3'] },
      { name: 'calc 3 sort', args: ['3', 'sort'] },
    ],
    realUse: [
      { name: 'calc 2', args: ['2'] },
      { name: 'calc 2 sort', args: ['2', 'sort'] },
    ],
    defaultCopies: 2,
    defaultRepetitions: 2,
    bolt: true,
  };
}
