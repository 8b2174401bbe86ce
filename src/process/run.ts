/**
 * The one module that starts processes. Callers pass an argument array (never a
 * shell string) and get stdout/stderr back, or a ToolError that names the tool
 * and carries the tail of its stderr.
 */
import { spawn } from 'node:child_process';
import { ToolError } from '../errors/errors.js';

export interface RunOptions {
  cwd?: string;
  /** The child's whole environment, as given. Without it, the child inherits ours minus PROFILE_VARIABLES. */
  env?: NodeJS.ProcessEnv;
  /** Bytes written to the child's stdin. */
  input?: string | Buffer;
  /** Kill the child after this many milliseconds. */
  timeoutMs?: number;
  /** Extra lines for the error when the tool is not installed. */
  installHint?: string;
  /** Called with each chunk of stderr as it arrives (progress output). */
  onStderr?: (chunk: string) => void;
  /** Called with the child's pid once it runs (tests use it to signal the child). */
  onSpawn?: (pid: number) => void;
  /** Run as this user (needs root): a program of another user, or a tool with less privilege. */
  user?: { uid: number; gid: number };
  /** Stops the child (SIGTERM) when aborted: a daemon that is stopping does not wait for a long build. */
  signal?: AbortSignal;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

const STDERR_TAIL_LINES = 30;

/**
 * The variables that tell profile runtimes where to write. A tool nix-pgo runs
 * must not inherit them from a shell that did `eval "$(nix-pgo env)"` or set
 * them itself: gcov-tool obeys GCOV_PREFIX for its own output, and anything
 * instrumented that a build or a hook runs would write into the spool.
 */
export const PROFILE_VARIABLES: readonly string[] = [
  'NIX_PGO_SPOOL',
  'LLVM_PROFILE_FILE',
  'GCOV_PREFIX',
  'GCOV_PREFIX_STRIP',
];

/** `env` without the profile variables (a copy). */
export function withoutProfileVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const clean = { ...env };
  for (const name of PROFILE_VARIABLES) delete clean[name];
  return clean;
}

/** The inherited environment without the profile variables. */
function inheritedEnvironment(): NodeJS.ProcessEnv {
  return withoutProfileVariables(process.env);
}

/** A command as a shell would need it, for messages: words that need it are quoted, an empty one shows as ''. */
export function formatCommand(command: string, args: readonly string[], maxLength = 300): string {
  const quote = (word: string) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);
  const text = [command, ...args].map(quote).join(' ');
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

export function tailLines(text: string, lines = STDERR_TAIL_LINES): string {
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? inheritedEnvironment(),
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
    });
    child.on('spawn', () => {
      if (child.pid !== undefined) options.onSpawn?.(child.pid);
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    const stop = () => child.kill('SIGTERM');
    if (options.signal?.aborted) stop();
    else options.signal?.addEventListener('abort', stop, { once: true });
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      err.push(chunk);
      options.onStderr?.(chunk.toString('utf8'));
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', stop);
      if (error.code === 'ENOENT') {
        reject(
          new ToolError('TOOL_MISSING', command, `${command} is not installed or not on PATH`, {
            hints: options.installHint ? [options.installHint] : [],
            cause: error,
          }),
        );
      } else {
        reject(new ToolError('TOOL_FAILED', command, `could not start ${command}: ${error.message}`, { cause: error }));
      }
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', stop);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) {
        resolve({ stdout, stderr });
        return;
      }
      const why = timedOut
        ? `timed out after ${options.timeoutMs} ms`
        : signal
          ? `was killed by ${signal}`
          : `exited with status ${code}`;
      reject(
        new ToolError(
          'TOOL_FAILED',
          command,
          `${formatCommand(command, args)} ${why}\n${tailLines(stderr)}`.trimEnd(),
          { stderr, signal: timedOut ? null : signal },
        ),
      );
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

export interface Background {
  pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts a long-running process (a daemon) whose output is collected as it runs. */
export function startBackground(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Background {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.on('error', () => resolve(127));
  });
  return {
    pid: child.pid ?? -1,
    output: () => output,
    exited,
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}
