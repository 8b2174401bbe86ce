/**
 * Typed calls of `llvm-profdata` (always the one named by the package's
 * manifest, so the profile format matches the compiler that wrote it).
 */
import { writeFileSync } from 'node:fs';
import { run } from '../process/run.js';

const INSTALL_HINT =
  'the manifest names the llvm-profdata of the compiler that built the package; is that store path still there?';

/** Merges raw or indexed profiles into `output`; fails if any input is unreadable (said explicitly, since the other mode skips bad inputs silently). The input list goes through a file so any number of inputs fits. */
export async function mergeProfiles(
  tool: string,
  output: string,
  inputs: readonly string[],
  listFile: string,
): Promise<void> {
  writeFileSync(listFile, inputs.map((input) => `${input}\n`).join(''));
  await run(tool, ['merge', '--failure-mode=any', '--output', output, `--input-files=${listFile}`], {
    installHint: INSTALL_HINT,
  });
}

/** Checks that one input can be read (used to find the bad input of a failed merge). */
export async function profileIsReadable(tool: string, input: string): Promise<boolean> {
  try {
    await run(tool, ['merge', '--output', '/dev/null', input], { installHint: INSTALL_HINT });
    return true;
  } catch {
    return false;
  }
}

/** Writes a profile in the text form (counters and value profiles by name), which `mergeProfiles` reads back. */
export async function writeTextProfile(tool: string, input: string, output: string): Promise<void> {
  await run(tool, ['merge', '--text', '--output', output, input], { installHint: INSTALL_HINT });
}

/** The program-level edge overlap of two profiles, 0..1 (1 = same shape). */
export async function profileOverlap(tool: string, base: string, test: string): Promise<number | null> {
  const { stdout } = await run(tool, ['overlap', base, test], { installHint: INSTALL_HINT });
  const match = /Edge profile overlap:\s*([0-9.]+)%/.exec(stdout);
  return match ? Number(match[1]) / 100 : null;
}
