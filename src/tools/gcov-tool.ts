/**
 * Typed calls of `gcov-tool` (the one named by the package's manifest, so the
 * gcda version matches the compiler that wrote it).
 */
import { run } from '../process/run.js';

/** Merges two gcda trees into `output` (files present in only one tree are kept). */
export async function mergeGcdaTrees(tool: string, first: string, second: string, output: string): Promise<void> {
  await run(tool, ['merge', first, second, '--output', output], {
    installHint: 'the manifest names the gcov-tool of the compiler that built the package; is it still there?',
  });
}
