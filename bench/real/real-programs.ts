// The real programs of the benchmark: Lua 5.4 and SQLite's speedtest1, from
// Debian source trees, with training inputs distinct from measuring inputs.
import { join } from 'node:path';
import type { ProgramSpec, Workload } from './program-spec.js';
import { benchRoot } from './paths.js';

export interface SourceTree {
  dir: string;
  version: string;
}

/**
 * What every program of bench/real/default.nix shares: attribute NAME takes
 * NAMESrc and NAMEVersion, and programs/NAME/build.sh builds it, for Nix and
 * by hand alike (with $CC set to the variant's compiler command).
 */
export function describeDebianProgram(
  name: string,
  src: SourceTree,
  binary: string,
): Pick<ProgramSpec, 'name' | 'nixFile' | 'nixArgs' | 'binary' | 'byHand'> {
  return {
    name,
    nixFile: benchRoot,
    nixArgs: { [`${name}Src`]: JSON.stringify(src.dir), [`${name}Version`]: JSON.stringify(src.version) },
    binary: `bin/${binary}`,
    byHand: {
      srcDir: src.dir,
      build: (srcCopy, outDir, cc) => ({
        command: 'bash',
        args: [join(benchRoot, 'programs', name, 'build.sh'), srcCopy, outDir],
        env: { ...process.env, CC: cc },
      }),
      binary,
    },
  };
}

const luaScript = (set: 'train' | 'measure', file: string, size: string): Workload => ({
  name: `${file.replace(/\.lua$/, '')} ${size}`,
  args: [join(benchRoot, 'workloads', 'lua', set, file), size],
});

export function makeLuaSpec(src: SourceTree): ProgramSpec {
  return {
    ...describeDebianProgram('lua', src, 'lua'),
    train: [
      luaScript('train', 'mandelbrot.lua', '600'),
      luaScript('train', 'objects.lua', '30'),
      luaScript('train', 'queens.lua', '10'),
      luaScript('train', 'strings.lua', '100000'),
      luaScript('train', 'tables.lua', '100000'),
    ],
    measure: [
      luaScript('measure', 'binary-trees.lua', '13'),
      luaScript('measure', 'fannkuch.lua', '9'),
      luaScript('measure', 'nbody.lua', '150000'),
      luaScript('measure', 'word-freq.lua', '80000'),
    ],
    // The measured scripts at other sizes: the kind of work, not the runs that are timed.
    realUse: [
      luaScript('measure', 'binary-trees.lua', '11'),
      luaScript('measure', 'fannkuch.lua', '8'),
      luaScript('measure', 'nbody.lua', '60000'),
      luaScript('measure', 'word-freq.lua', '30000'),
    ],
    // Lua seeds its string hashes with the time and addresses (luai_makeseed): two runs of the same
    // training give profiles that overlap 99.98 %, so the two pipelines' code may differ slightly.
    deterministicTraining: false,
    bolt: true,
  };
}

const speedtest = (testset: string, size: string, ...options: string[]): Workload => ({
  name: [testset, '--size', size, ...options].join(' '),
  args: ['--memdb', '--testset', testset, '--size', size, ...options],
});

export function makeSqliteSpec(src: SourceTree): ProgramSpec {
  return {
    ...describeDebianProgram('sqlite', src, 'speedtest1'),
    // An expert's by-hand anchor trained on main --size 20 and measured orm --size 60 and cte --size 50:
    // the same here, so the same-training and oracle rows can be held against it. orm and cte are never trained.
    train: [speedtest('main', '20')],
    measure: [speedtest('main', '25'), speedtest('orm', '60'), speedtest('cte', '50')],
    realUse: [speedtest('main', '10'), speedtest('orm', '25'), speedtest('cte', '20')],
    bolt: true,
    // speedtest1 prints the time of each step, right-aligned: a slow run's longer number eats a space.
    normalizeOutput: (stdout) => stdout.replace(/ *\d+\.\d+s$/gm, ' s'),
  };
}
