/**
 * Carries out a build plan: evaluates the attribute to its store derivation
 * (nix-instantiate), builds that derivation (nix-build), keeps the whole log
 * on disk, and returns the outputs and the derivation they came from, or the
 * failure with the tail of its log. A build stopped by a signal (Ctrl-C, the
 * daemon stopping) is `interrupted`, not failed.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ToolError } from '../errors/errors.js';
import type { BuildOutcome } from '../model/lifecycle-record.js';
import { tailLines } from '../process/run.js';
import { buildDerivation, type SubstituteFrom } from '../tools/nix-build.js';
import { instantiate } from '../tools/nix-instantiate.js';
import type { BuildPlan } from './plan-build.js';
import { originOf } from './read-derivation.js';

/** Whether a failed tool was stopped rather than failing by itself: Nix says so when a signal interrupts it. */
export function wasInterrupted(error: ToolError, signal?: AbortSignal): boolean {
  return (
    signal?.aborted === true ||
    (error.signal !== null && error.signal !== 'SIGKILL') ||
    /^error: interrupted by the user$/m.test(error.stderr)
  );
}

export async function runBuild(
  plan: BuildPlan,
  options: { signal?: AbortSignal; substituteFrom?: SubstituteFrom } = {},
): Promise<BuildOutcome> {
  mkdirSync(dirname(plan.logFile), { recursive: true });
  const log = createWriteStream(plan.logFile);
  const closed = new Promise<void>((resolve) => log.on('close', () => resolve()));
  const onLog = (chunk: string) => log.write(chunk);
  const { file, attr, args, timeoutMs } = plan.request;
  try {
    const [drvPath] = await instantiate({ file, attrs: [attr], args, timeoutMs, onLog, signal: options.signal });
    if (drvPath === undefined) throw new ToolError('TOOL_FAILED', 'nix-instantiate', `${attr} gave no derivation`);
    const { outputs } = await buildDerivation(drvPath, {
      timeoutMs,
      onLog,
      signal: options.signal,
      substituteFrom: options.substituteFrom,
    });
    return { ok: true, storePath: outputs.at(-1) ?? '', outputs, origin: originOf(drvPath), logFile: plan.logFile };
  } catch (error) {
    if (!(error instanceof ToolError)) throw error;
    const logTail = tailLines(error.stderr, 20);
    const interrupted = wasInterrupted(error, options.signal);
    return {
      ok: false,
      error: interrupted
        ? `building ${plan.what} was interrupted; it starts again`
        : `building ${plan.what} failed: ${error.message.split('\n')[0] ?? error.message}; the whole log: ${plan.logFile}`,
      logTail,
      logFile: plan.logFile,
      ...(interrupted ? { interrupted: true } : {}),
    };
  } finally {
    log.end();
    await closed;
  }
}
