/** Why a test of real users and systemd-tmpfiles cannot run here, or false when it can. */
import { run } from '../../src/process/run.js';

async function has(command: string, args: string[]): Promise<boolean> {
  try {
    await run(command, args);
    return true;
  } catch {
    return false;
  }
}

/** `rootFor`: what the test needs root for, in words. */
export async function rootAndTmpfilesSkip(rootFor: string): Promise<string | false> {
  if (process.getuid?.() !== 0) return `needs root (${rootFor})`;
  if (!(await has('systemd-tmpfiles', ['--version']))) return 'needs systemd-tmpfiles';
  return false;
}
