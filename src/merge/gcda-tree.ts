/** Reading a merged gcda tree for metrics: runs, functions that ran, and every arc counter by key. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseGcda } from '../formats/gcda-file.js';

export interface GcdaTreeSummary {
  runs: number;
  functionsNonzero: number;
  counters: Map<string, bigint>;
}

export function listTreeFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const relPath = rel === '' ? name : `${rel}/${name}`;
    if (statSync(join(dir, relPath)).isDirectory()) out.push(...listTreeFiles(dir, relPath));
    else out.push(relPath);
  }
  return out;
}

export function summarizeGcdaTree(dir: string): GcdaTreeSummary {
  const summary: GcdaTreeSummary = { runs: 0, functionsNonzero: 0, counters: new Map() };
  for (const rel of listTreeFiles(dir)) {
    if (!rel.endsWith('.gcda')) continue;
    const parsed = parseGcda(readFileSync(join(dir, rel)));
    if (!parsed.ok) continue;
    summary.runs = Math.max(summary.runs, parsed.file.runs);
    for (const fn of parsed.file.functions) {
      if (fn.arcs.some((c) => c > 0n)) summary.functionsNonzero++;
      fn.arcs.forEach((c, i) => {
        summary.counters.set(`${rel}:${fn.ident}:${i}`, c);
      });
    }
  }
  return summary;
}
