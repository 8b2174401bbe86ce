// The long-running part of Emacs' training: `emacs --daemon`, driven by
// `emacsclient` as an editor session would be, read while it runs, then stopped.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../../src/process/run.js';
import type { LiveSession, LiveTrainingResult } from '../../program-spec.js';
import { parseEditAnswer } from './outputs.js';

const STEP_TIMEOUT_MS = 5 * 60_000;
const START_TIMEOUT_MS = 60_000;

/** A Lisp string literal. */
export function lispString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Whether a process is gone: no /proc entry, or a zombie nobody reaped yet. */
export function isGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ...": the state follows the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

/** Processes whose command line has `arg` (a path unique to this run). */
export function processesWithArgument(arg: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(arg)) pids.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return pids;
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!isGone(pid)) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/**
 * Starts `emacs -Q --daemon` of the package at `session.root` (it forks and
 * the parent exits once the server listens), loads `liveScript` into it,
 * asks it to edit each file, calls `session.whileRunning` while it still
 * runs, and stops it with `kill-emacs`, waiting until the process is gone.
 */
export async function trainEmacsDaemon(
  session: LiveSession,
  liveScript: string,
  files: readonly string[],
): Promise<LiveTrainingResult> {
  const emacs = join(session.root, 'bin', 'emacs');
  const client = join(session.root, 'bin', 'emacsclient');
  // A socket of its own, in a short directory (a socket path has at most 107 bytes), two levels
  // below /tmp: server-start deletes the socket's directory when its parent is /tmp/ (bug#44644),
  // and then cannot bind; the daemon then loops at top level on its closed stdin.
  const socketDir = mkdtempSync(join(tmpdir(), 'nix-pgo-emacs-'));
  mkdirSync(join(socketDir, 'server'), { mode: 0o700 });
  const socket = join(socketDir, 'server', 'socket');
  const options = { env: session.env, cwd: session.cwd, timeoutMs: STEP_TIMEOUT_MS };
  const ask = async (expression: string) =>
    (await run(client, ['-s', socket, '--eval', expression], options)).stdout.trim();
  const steps: LiveTrainingResult['steps'] = [];
  let pid: number | null = null;
  try {
    session.log(`emacs: starting ${emacs} -Q --daemon and driving it with emacsclient (${files.length} files)`);
    const daemonArg = `--daemon=${socket}`;
    try {
      await run(emacs, ['-Q', daemonArg], { ...options, timeoutMs: START_TIMEOUT_MS });
    } catch (error) {
      // The forked server outlives its parent; a server that could not start keeps running at top level.
      for (const stray of processesWithArgument(daemonArg)) process.kill(stray, 'SIGKILL');
      throw error;
    }
    pid = Number(await ask('(emacs-pid)'));
    if (!Number.isInteger(pid) || pid <= 0)
      throw new Error(`emacs --daemon answered (emacs-pid) with ${JSON.stringify(pid)}`);
    await ask(`(load ${lispString(liveScript)} nil t)`);
    for (const file of files) {
      const request = `(nix-pgo-bench-edit ${lispString(file)})`;
      const answer = await ask(request);
      if (parseEditAnswer(answer)?.file !== file)
        throw new Error(`emacs --daemon answered ${request} with ${JSON.stringify(answer)}`);
      steps.push({ request, answer });
    }
    const observation = await session.whileRunning(pid);
    const runningWhenObserved = !isGone(pid);
    return { program: 'emacs --daemon, driven by emacsclient', steps, observation, runningWhenObserved };
  } finally {
    if (pid !== null) {
      // kill-emacs after emacsclient has its answer, so the client does not see the server vanish.
      await ask('(progn (run-at-time 0.2 nil (function kill-emacs)) t)').catch(() => undefined);
      if (!(await waitGone(pid, 60_000))) {
        session.log(`emacs: process ${pid} did not stop after kill-emacs; sending SIGKILL`);
        process.kill(pid, 'SIGKILL');
        await waitGone(pid, 10_000);
      }
    }
    rmSync(socketDir, { recursive: true, force: true });
  }
}
