/**
 * Typed calls of `gcov-tool` (the one named by the package's manifest, so the
 * gcda version matches the compiler that wrote it). Run without the profile
 * variables: gcov-tool obeys GCOV_PREFIX for its own output.
 */
import { run } from '../process/run.js';

const INSTALL_HINT = 'the manifest names the gcov-tool of the compiler that built the package; is it still there?';

/** Merges two gcda trees into `output` (files present in only one tree are kept), each weighted (1: as is). */
export async function mergeGcdaTrees(
  tool: string,
  first: string,
  second: string,
  output: string,
  weights: [number, number] = [1, 1],
): Promise<void> {
  const weighted = weights[0] === 1 && weights[1] === 1 ? [] : ['--weight', `${weights[0]},${weights[1]}`];
  await run(tool, ['merge', ...weighted, first, second, '--output', output], { installHint: INSTALL_HINT });
}

/** Writes `dir` with every counter multiplied by `factor` to `output`. */
export async function scaleGcdaTree(tool: string, dir: string, factor: number, output: string): Promise<void> {
  await run(tool, ['rewrite', '--scale', String(factor), dir, '--output', output], { installHint: INSTALL_HINT });
}
