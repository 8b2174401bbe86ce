/**
 * Carries out a build plan: runs nix-build, keeps the whole log on disk, and
 * returns the store path or the failure with the tail of its log.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ToolError } from '../errors/errors.js';
import { tailLines } from '../process/run.js';
import { nixBuild } from '../tools/nix-build.js';
import type { BuildOutcome } from '../model/lifecycle-record.js';
import type { BuildPlan } from './plan-build.js';

export async function runBuild(plan: BuildPlan): Promise<BuildOutcome> {
  mkdirSync(dirname(plan.logFile), { recursive: true });
  const log = createWriteStream(plan.logFile);
  const closed = new Promise<void>((resolve) => log.on('close', () => resolve()));
  try {
    const { storePath } = await nixBuild({ ...plan.request, onLog: (chunk) => log.write(chunk) });
    return { ok: true, storePath, logFile: plan.logFile };
  } catch (error) {
    if (!(error instanceof ToolError)) throw error;
    const logTail = tailLines(error.stderr, 20);
    return {
      ok: false,
      error: `building ${plan.what} failed: ${error.message.split('\n')[0] ?? error.message}; the whole log: ${plan.logFile}`,
      logTail,
      logFile: plan.logFile,
    };
  } finally {
    log.end();
    await closed;
  }
}
