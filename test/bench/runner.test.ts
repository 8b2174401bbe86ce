// The benchmark runner's pure parts: arguments, interleaving order, callgrind
// output, source-tree lookup and output normalization.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBenchArgs } from '../../bench/real/parse-bench-args.js';
import { rotate } from '../../bench/real/measure.js';
import { parseCachegrindSummary } from '../../bench/real/cachegrind.js';
import { computeInstructionRatios, computeRatios } from '../../bench/real/bench-result.js';
import { countProcesses, listBoltProfiles, removeBoltProfiles } from '../../bench/real/bolt-stage.js';
import { findSourceTree } from '../../bench/real/fetch-sources.js';
import { makeLuaSpec, makeSqliteSpec } from '../../bench/real/real-programs.js';
import { makeEmacsSpec } from '../../bench/real/programs/emacs/spec.js';
import { writePackageEntry } from '../../bench/real/nix-variants.js';
import { makeCalcSpec } from '../../bench/real/example-programs.js';

describe('parseBenchArgs', () => {
  it('has defaults for every option', () => {
    assert.deepEqual(parseBenchArgs([]), {
      programs: ['lua', 'sqlite'],
      copies: null,
      repetitions: null,
      cpu: 'default',
      work: null,
      sources: null,
      callgrind: true,
      nixPgoSource: 'daemon',
      json: false,
      compare: null,
      report: null,
      help: false,
    });
    assert.equal(parseBenchArgs(['--local-merge']).nixPgoSource, 'local');
  });

  it('leaves the repetitions to each program unless --reps says', () => {
    assert.equal(parseBenchArgs(['--programs', 'emacs']).repetitions, null);
    assert.deepEqual(parseBenchArgs(['--programs', 'emacs,lua']).programs, ['emacs', 'lua']);
  });

  it('reads programs, repetitions and switches', () => {
    const args = parseBenchArgs(['--programs', 'calc', '--reps', '3', '--no-callgrind', '--json', '--work', 'w']);
    assert.deepEqual(
      [args.programs, args.repetitions, args.callgrind, args.json, args.work],
      [['calc'], 3, false, true, 'w'],
    );
  });

  it('reads copies, the processor to pin to, and two runs to compare', () => {
    const args = parseBenchArgs(['--copies', '5', '--reps', '2', '--cpu', '1']);
    assert.deepEqual([args.copies, args.repetitions, args.cpu], [5, 2, 1]);
    assert.equal(parseBenchArgs(['--cpu', 'none']).cpu, null);
    assert.deepEqual(parseBenchArgs(['--compare', 'a.json', 'b.json']).compare, ['a.json', 'b.json']);
    assert.throws(() => parseBenchArgs(['--compare', 'a.json']), /--compare takes two JSON files/);
    assert.equal(parseBenchArgs(['--report', 'a.json']).report, 'a.json');
    assert.throws(() => parseBenchArgs(['stray']), /unexpected argument "stray"/);
    assert.throws(
      () => parseBenchArgs(['--copies', '0', '--cpu', 'x']),
      (error: Error) => {
        assert.match(error.message, /--copies must be a positive integer/);
        assert.match(error.message, /--cpu must be a processor number or "none"/);
        return true;
      },
    );
  });

  it('names every problem at once', () => {
    assert.throws(
      () => parseBenchArgs(['--programs', 'lua,zstd', '--reps', '0']),
      (error: Error) => {
        assert.match(error.message, /unknown program "zstd"/);
        assert.match(error.message, /--reps must be a positive integer/);
        return true;
      },
    );
  });
});

describe('rotate', () => {
  it('puts each variant first once per cycle and keeps the cyclic order', () => {
    const items = ['a', 'b', 'c'];
    assert.deepEqual(
      [0, 1, 2, 3].map((rep) => rotate(items, rep).join('')),
      ['abc', 'bca', 'cab', 'abc'],
    );
  });
});

describe('parseCachegrindSummary', () => {
  it('reads instructions, I1 misses, branches and mispredictions', () => {
    const stderr = [
      '==5127== I   refs:      127,851',
      '==5127== I1  misses:      1,091',
      '==5127== LLi misses:      1,072',
      '==5127== I1  miss rate:    0.85%',
      '==5127== Branches:       25,645  (25,366 cond +    279 ind)',
      '==5127== Mispredicts:     3,317  ( 3,167 cond +    150 ind)',
    ].join('\n');
    assert.deepEqual(parseCachegrindSummary(stderr), {
      instructions: 127851,
      i1Misses: 1091,
      branches: 25645,
      mispredicts: 3317,
    });
  });

  it('fails naming the line that is missing (no --branch-sim)', () => {
    assert.throws(
      () => parseCachegrindSummary('==1== I   refs:      10\n==1== I1  misses:      1\n'),
      /no "Branches" line/,
    );
  });
});

describe('ratios', () => {
  it('pairs repetitions, and has the BOLT ratios only when both BOLT variants ran', () => {
    const core = {
      vanilla: [2, 4],
      instrumented: [4, 8],
      'nix-pgo': [1, 2],
      'by-hand': [1, 4],
      'real-use': [1, 2],
      oracle: [1, 2],
    };
    const withoutBolt = computeRatios(core);
    assert.equal(withoutBolt.nixPgoOverVanilla.median, 2);
    assert.equal(withoutBolt.instrumentedSlowdown.median, 2);
    assert.equal(withoutBolt.boltOverNixPgo, undefined);
    const withBolt = computeRatios({ ...core, 'bolt-instrumented': [3, 6], 'nix-pgo+bolt': [0.5, 1] });
    assert.equal(withBolt.boltOverNixPgo?.median, 2);
    assert.equal(withBolt.boltOverVanilla?.median, 4);
    assert.equal(withBolt.boltInstrumentedSlowdown?.median, 3);
    assert.deepEqual(
      computeInstructionRatios({
        vanilla: 10,
        instrumented: 30,
        'nix-pgo': 5,
        'by-hand': 5,
        'real-use': 5,
        oracle: 4,
        'nix-pgo+bolt': 4,
        'bolt-instrumented': 20,
      }),
      {
        nixPgoOverVanilla: 2,
        nixPgoOverByHand: 1,
        byHandOverVanilla: 2,
        realUseOverVanilla: 2,
        oracleOverVanilla: 2.5,
        instrumentedSlowdown: 3,
        boltOverNixPgo: 1.25,
        boltOverVanilla: 2.5,
        boltInstrumentedSlowdown: 4,
      },
    );
  });
});

describe('BOLT profiles of the benchmark', () => {
  it("lists only the files in this user's directory named by the given build ids, and removes only those written since a time", () => {
    const boltDir = mkdtempSync(join(tmpdir(), 'nix-pgo-bench-bolt-'));
    const dir = join(boltDir, String(process.getuid!()));
    mkdirSync(dir);
    for (const name of ['ab12.100.fdata', 'ab12.101.fdata', 'cd34.102.fdata', 'ab12.notes'])
      writeFileSync(join(dir, name), '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, 'ab12.100.fdata'), old, old);
    assert.deepEqual(listBoltProfiles(boltDir, ['ab12']).sort(), [
      join(dir, 'ab12.100.fdata'),
      join(dir, 'ab12.101.fdata'),
    ]);
    assert.equal(removeBoltProfiles(boltDir, ['ab12'], Date.now() - 30_000), 1);
    assert.deepEqual(readdirSync(dir).sort(), ['ab12.100.fdata', 'ab12.notes', 'cd34.102.fdata']);
    assert.deepEqual(listBoltProfiles(join(boltDir, 'missing'), ['ab12']), []);
    // A program and its library write one file each per process.
    assert.equal(countProcesses(['/d/ab12.100.fdata', '/d/cd34.100.fdata', '/d/ab12.101.fdata']), 2);
  });
});

describe('findSourceTree', () => {
  it('finds the unpacked tree of a source package and its version, ignoring tarballs and other packages', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nix-pgo-bench-src-'));
    mkdirSync(join(dir, 'lua5.4-5.4.4'));
    mkdirSync(join(dir, 'lua5.3-5.3.6'));
    writeFileSync(join(dir, 'lua5.4-5.4.4.orig.tar.gz'), '');
    assert.deepEqual(findSourceTree(dir, 'lua5.4'), { dir: join(dir, 'lua5.4-5.4.4'), version: '5.4.4' });
    assert.equal(findSourceTree(dir, 'sqlite3'), null);
    assert.equal(findSourceTree(join(dir, 'absent'), 'lua5.4'), null);
  });
});

describe('real program specs', () => {
  const src = { dir: '/src', version: '1.2.3' };

  it('train, train for real use and measure on different inputs', () => {
    for (const spec of [makeLuaSpec(src), makeSqliteSpec(src), makeEmacsSpec(src), makeCalcSpec()]) {
      const trained = new Set([...spec.train, ...spec.realUse].map((w) => w.args.join(' ')));
      for (const w of spec.measure)
        assert.ok(!trained.has(w.args.join(' ')), `${spec.name}: ${w.name} is also a training input`);
      assert.ok(spec.realUse.length > 0, `${spec.name} has real-use training`);
    }
  });

  it('speedtest1 outputs are compared without their timings', () => {
    const normalize = makeSqliteSpec(src).normalizeOutput!;
    assert.equal(
      normalize(' 100 - 2500 INSERTs....    0.002s\n       TOTAL....    0.099s\n'),
      normalize(' 100 - 2500 INSERTs....    0.013s\n       TOTAL....    1.250s\n'),
    );
    assert.notEqual(normalize(' 100 - 2500 INSERTs....    0.002s\n'), normalize(' 100 - 2600 INSERTs....    0.002s\n'));
    // A run slower than 10 s prints one digit more and one space less.
    assert.equal(normalize('       TOTAL....    1.250s\n'), normalize('       TOTAL....   12.500s\n'));
  });
});

describe('writePackageEntry', () => {
  it('binds the source arguments into a file that takes only the profiles, as a daemon config can name it', () => {
    const work = mkdtempSync(join(tmpdir(), 'nix-pgo-bench-entry-'));
    const spec = writePackageEntry(makeLuaSpec({ dir: '/src/lua5.4-5.4.4', version: '5.4.4' }), work);
    assert.equal(spec.nixFile, join(work, 'packages.nix'));
    assert.deepEqual(spec.nixArgs, {});
    const text = readFileSync(spec.nixFile, 'utf8');
    assert.match(text, /^\{ pgoProfiles \? \{ \}, boltProfiles \? \{ \} \}:$/m);
    assert.match(text, /luaSrc = "\/src\/lua5\.4-5\.4\.4"; luaVersion = "5\.4\.4"; inherit pgoProfiles boltProfiles;/);
  });

  it('leaves a spec without arguments as it is', () => {
    const calc = makeCalcSpec();
    assert.equal(writePackageEntry(calc, '/nonexistent'), calc);
  });
});
