// Counters of an indexed LLVM profile, read through `llvm-profdata merge --text`, for exact-count tests.
import { run } from '../../src/process/run.js';

export interface FunctionCounts {
  name: string;
  hash: string;
  counters: bigint[];
}

/** Every function's counters, read from the text form of a profile. */
export async function readFunctionCounts(tool: string, profile: string): Promise<FunctionCounts[]> {
  const { stdout } = await run(tool, ['merge', '--text', '--output', '-', profile], {});
  return parseTextProfile(stdout);
}

/** Parses the counter part of `llvm-profdata merge --text` output (value profile data is skipped). */
export function parseTextProfile(text: string): FunctionCounts[] {
  const lines = text.split('\n');
  const functions: FunctionCounts[] = [];
  let i = 0;
  const next = () => lines[i++]?.trim() ?? '';
  while (i < lines.length) {
    const line = next();
    if (line === '' || line.startsWith(':') || line.startsWith('#')) continue;
    const name = line;
    if (next() !== '# Func Hash:') continue;
    const hash = next();
    if (next() !== '# Num Counters:') continue;
    const count = Number(next());
    if (next() !== '# Counter Values:') continue;
    const counters: bigint[] = [];
    for (let c = 0; c < count; c++) counters.push(BigInt(next()));
    functions.push({ name, hash, counters });
    // Skip value profile data up to the blank line that ends the record.
    while (i < lines.length && (lines[i]?.trim() ?? '') !== '') i++;
  }
  return functions;
}
