#!/usr/bin/env node
// The benchmark's entry point: fetches the Debian sources, benchmarks each
// program and prints the report (or JSON). Exits 1 if an output differed or a
// check failed, 2 if a program could not be benchmarked.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { benchProgram } from './bench-program.js';
import type { ProgramResult } from './bench-result.js';
import { compareRuns, formatComparison, type RunFile } from './compare-runs.js';
import { makeCalcSpec } from './example-programs.js';
import { chooseSourceCache, ensureSourceTree } from './fetch-sources.js';
import { formatReport } from './format-report.js';
import { makeDaemonSource, makeLocalMergeSource } from './optimized-source.js';
import { parseBenchArgs, USAGE, type ProgramName } from './parse-bench-args.js';
import type { ProgramSpec } from './program-spec.js';
import { makeLuaSpec, makeSqliteSpec } from './real-programs.js';
import { makeEmacsSpec } from './programs/emacs/spec.js';

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

async function makeSpec(name: ProgramName, sourceCache: string): Promise<ProgramSpec> {
  switch (name) {
    case 'lua':
      return makeLuaSpec(await ensureSourceTree(sourceCache, 'lua5.4', log));
    case 'sqlite':
      return makeSqliteSpec(await ensureSourceTree(sourceCache, 'sqlite3', log));
    case 'emacs':
      return makeEmacsSpec(await ensureSourceTree(sourceCache, 'emacs', log));
    case 'calc':
      return makeCalcSpec();
  }
}

async function main(): Promise<number> {
  const args = parseBenchArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.compare) {
    const [a, b] = args.compare.map((file) => JSON.parse(readFileSync(file, 'utf8')) as RunFile) as [RunFile, RunFile];
    const comparison = compareRuns(a, b);
    process.stdout.write(formatComparison(comparison, a, b));
    return comparison.agree ? 0 : 1;
  }
  if (args.report) {
    process.stdout.write(formatReport((JSON.parse(readFileSync(args.report, 'utf8')) as RunFile).results));
    return 0;
  }
  const work = args.work ? resolve(args.work) : mkdtempSync(join(tmpdir(), 'nix-pgo-bench-'));
  const sourceCache = args.sources ? resolve(args.sources) : chooseSourceCache();
  log(`work directory: ${work}`);
  const results: ProgramResult[] = [];
  const failures: { program: string; error: string }[] = [];
  for (const name of args.programs) {
    const programWork = join(work, name);
    try {
      const spec = await makeSpec(name, sourceCache);
      results.push(
        await benchProgram(spec, {
          copies: args.copies,
          repetitions: args.repetitions,
          cpu: args.cpu,
          work: programWork,
          callgrind: args.callgrind,
          nixPgo: args.nixPgoSource === 'daemon' ? makeDaemonSource(programWork) : makeLocalMergeSource(programWork),
          log,
        }),
      );
    } catch (error) {
      // One broken program must not throw away the minutes spent on the others.
      const message = error instanceof Error ? error.message : String(error);
      log(`${name} failed: ${message}`);
      failures.push({ program: name, error: message });
    }
  }
  if (args.json)
    process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), results, failures }, null, 2)}\n`);
  else process.stdout.write(formatReport(results));
  if (failures.length > 0) return 2;
  return results.every((r) => r.outputsIdentical && r.checksPassed) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
