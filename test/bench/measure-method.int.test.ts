// How the benchmark times and identifies code: the CPU-time helper (real,
// pinned), fresh page-cache copies, .text hashes of real ELF files, and the
// comparison of two runs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/process/run.js';
import { sumCounts } from '../../bench/real/bench-result.js';
import { normalizeDisassembly, readCodeIdentity } from '../../bench/real/code-identity.js';
import { compareRuns, formatComparison, iqrsOverlap, type RunFile } from '../../bench/real/compare-runs.js';
import {
  chooseDefaultCpu,
  ensureCpuTimeTool,
  parseCpuList,
  parseUsageLine,
  runTimed,
} from '../../bench/real/cpu-time.js';
import { makeFreshCopies, removeCopies } from '../../bench/real/page-cache-copies.js';
import type { ProgramResult } from '../../bench/real/bench-result.js';
import { makeTempDir } from '../support/nix.js';

describe('cpu-time helper', () => {
  it('parses the usage line and keeps the command’s own stderr', () => {
    const { usage, stderr } = parseUsageLine('warning: x\n\ncpu-time: 250000 10000 400000 2048 0 316 3 7 1\n');
    assert.equal(stderr, 'warning: x\n');
    assert.equal(usage.cpuSeconds, 0.26);
    assert.equal(usage.wallSeconds, 0.4);
    assert.deepEqual([usage.majorFaults, usage.involuntarySwitches, usage.pinnedCpu], [0, 7, 1]);
    assert.equal(parseUsageLine('\ncpu-time: 1 2 3 4 5 6 7 8 -1\n').usage.pinnedCpu, null);
    assert.throws(() => parseUsageLine('no line'), /no usage line/);
  });

  it('reads processor lists as the kernel writes them', () => {
    assert.deepEqual(parseCpuList('0-1,3\n'), [0, 1, 3]);
    assert.deepEqual(parseCpuList('2'), [2]);
  });

  it('times a real run in CPU time, pinned to the processor asked for, and passes stdin and the exit status', async () => {
    const dir = makeTempDir('bench-cpu-time');
    const tool = await ensureCpuTimeTool(dir);
    const cpu = chooseDefaultCpu();
    const busy = {
      name: 'busy',
      args: ['-c', 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; grep Cpus_allowed_list /proc/self/status; cat'],
      stdin: 'from stdin\n',
    };
    const { stdout, usage } = await runTimed({ tool, cpu }, '/bin/sh', busy, process.env, dir);
    assert.match(stdout, new RegExp(`^Cpus_allowed_list:\\s+${cpu}\\nfrom stdin\\n$`));
    assert.equal(usage.pinnedCpu, cpu);
    assert.ok(usage.cpuSeconds > 0.01, `a busy loop uses CPU time (${usage.cpuSeconds} s)`);
    assert.ok(Math.abs(usage.cpuSeconds - usage.userSeconds - usage.systemSeconds) < 1e-9);
    await assert.rejects(
      runTimed({ tool, cpu: null }, '/bin/sh', { name: 'fails', args: ['-c', 'exit 3'] }, process.env, dir),
      /exited with status 3/,
    );
    // An up-to-date helper is not compiled again.
    const mtime = statSync(tool).mtimeMs;
    await ensureCpuTimeTool(dir);
    assert.equal(statSync(tool).mtimeMs, mtime);
  });
});

describe('fresh page-cache copies', () => {
  it('copies each variant’s binary under its own name, runnable, and removes the round', async () => {
    const dir = makeTempDir('bench-copies');
    const variants = [
      { name: 'vanilla' as const, binary: '/bin/true', root: '/bin', env: process.env },
      { name: 'oracle' as const, binary: '/bin/echo', root: '/bin', env: process.env },
    ];
    const copies = await makeFreshCopies(variants, dir, 3);
    assert.deepEqual(
      copies.map((c) => c.binary),
      [join(dir, 'copy-3', 'vanilla', 'true'), join(dir, 'copy-3', 'oracle', 'echo')],
    );
    assert.deepEqual(readFileSync(copies[1]!.binary), readFileSync('/bin/echo'));
    assert.equal((await run(copies[1]!.binary, ['copied'])).stdout, 'copied\n');
    removeCopies(dir, 3);
    assert.equal(existsSync(join(dir, 'copy-3')), false);
  });
});

describe('readCodeIdentity', () => {
  it('hashes exactly the bytes objcopy extracts as .text, and reads the GNU build ID readelf shows', async () => {
    const dir = makeTempDir('bench-identity');
    const binary = '/bin/sh';
    const text = join(dir, 'text');
    await run('objcopy', ['-O', 'binary', '--only-section=.text', binary, text]);
    const identity = await readCodeIdentity(binary);
    assert.equal(identity.textSha256, createHash('sha256').update(readFileSync(text)).digest('hex'));
    assert.equal(identity.textBytes, statSync(text).size);
    const notes = (await run('readelf', ['-n', binary])).stdout;
    assert.equal(identity.buildId, /Build ID: ([0-9a-f]+)/.exec(notes)?.[1]);
    assert.match(identity.instructionsSha256, /^[0-9a-f]{64}$/);
    await assert.rejects(readCodeIdentity('/etc/hostname'), /not an ELF file/);
  });

  it('masks what a moved data segment or a moved .text changes, and nothing else', () => {
    const a = [
      '    10f0:\tlea    0xed9(%rip),%r14        # 2004 <.L.str>',
      '    10f7:\tcall   1040 <printf@plt>',
      '    10fc:\tcmpb   $0x0,0x2ab5(%rip)        # 3bb8 <completed.0>',
    ].join('\n');
    const b = a.replace('0x2ab5', '0x2ab1').replace('<.L.str>', '<_IO_stdin_used+0x4>');
    assert.equal(normalizeDisassembly(a), normalizeDisassembly(b));
    assert.equal(normalizeDisassembly(a).split('\n')[1], 'call   <printf@plt>');
    // A .text moved by one more PLT entry: the same call.
    assert.equal(normalizeDisassembly(a), normalizeDisassembly(a.replace('call   1040', 'call   1050')));
    assert.notEqual(normalizeDisassembly(a), normalizeDisassembly(a.replace('<printf@plt>', '<puts@plt>')));
    // Padding after the last function is not an instruction; a nop inside the code is.
    assert.equal(
      normalizeDisassembly(a),
      normalizeDisassembly(`${a}\n    1103:\tnop\n    1104:\tcs nopw 0x0(%rax,%rax,1)`),
    );
    assert.notEqual(normalizeDisassembly(a), normalizeDisassembly(a.replace('\n', '\n    10f6:\tnop\n')));
    assert.notEqual(normalizeDisassembly(a), normalizeDisassembly(a.replace('cmpb   $0x0', 'cmpb   $0x1')));
  });
});

describe('sumCounts', () => {
  it('adds each variant’s counts over the workloads', () => {
    const c = (n: number) => ({ instructions: n, i1Misses: n / 10, branches: n / 5, mispredicts: n / 50 });
    const total = sumCounts({
      a: {
        vanilla: c(100),
        instrumented: c(200),
        'nix-pgo': c(90),
        'by-hand': c(90),
        'real-use': c(80),
        oracle: c(70),
      },
      b: { vanilla: c(50), instrumented: c(60), 'nix-pgo': c(40), 'by-hand': c(40), 'real-use': c(40), oracle: c(30) },
    });
    assert.deepEqual(total.vanilla, c(150));
    assert.deepEqual(total.oracle, c(100));
  });
});

describe('compareRuns', () => {
  const s = (median: number, q1: number, q3: number) => ({ n: 24, median, q1, q3, min: q1 - 0.1, max: q3 + 0.1 });
  const result = (speedup: ReturnType<typeof s>, copies = 8) =>
    ({
      program: 'sqlite',
      method: { clock: 'cpu', cpu: 1, copies, repetitionsPerCopy: 3 },
      ratios: { nixPgoOverVanilla: speedup, instrumentedSlowdown: s(1.3, 1.28, 1.32) },
      perWorkload: { 'orm --size 60': { nixPgoOverVanilla: speedup, instrumentedSlowdown: s(1.3, 1.2, 1.4) } },
      countRatios: null,
    }) as unknown as ProgramResult;
  const file = (r: ProgramResult): RunFile => ({ date: '2026-12-07', results: [r] });

  it('agrees when every ratio’s interquartile ranges overlap, and says which do not', () => {
    assert.equal(iqrsOverlap(s(1.08, 1.05, 1.1), s(1.12, 1.1, 1.15)), true, 'touching ranges overlap');
    assert.equal(iqrsOverlap(s(1.08, 1.05, 1.09), s(1.12, 1.1, 1.15)), false);
    const same = compareRuns(file(result(s(1.08, 1.05, 1.1))), file(result(s(1.09, 1.07, 1.12))));
    assert.equal(same.agree, true);
    assert.equal(same.comparisons.length, 4);
    const apart = compareRuns(file(result(s(1.08, 1.05, 1.09))), file(result(s(1.2, 1.15, 1.25), 5)));
    assert.equal(apart.agree, false);
    assert.deepEqual(
      apart.comparisons.filter((c) => !c.agree).map((c) => `${c.scope} ${c.ratio}`),
      ['all workloads nixPgoOverVanilla', 'orm --size 60 nixPgoOverVanilla'],
    );
    assert.deepEqual(apart.methodDiffers, ['sqlite']);
    const text = formatComparison(apart, file(result(s(1.08, 1.05, 1.09))), file(result(s(1.2, 1.15, 1.25), 5)));
    assert.match(text, /DIFFER {2}nixPgoOverVanilla/);
    assert.match(text, /the runs DIFFER: 2 of 4/);
    assert.match(text, /timed differently/);
  });
});
