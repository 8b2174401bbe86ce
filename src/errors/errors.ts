/**
 * The small set of error classes the core throws. Each has a stable `code` so
 * the entry points (CLI, daemon) can map it to an exit status and a log line
 * without parsing messages.
 */

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'TOOL_MISSING'
  | 'TOOL_FAILED'
  | 'PROFILE_INVALID'
  | 'USAGE'
  | 'STATE'
  /** Another process holds the collector lock of this state directory (a running daemon). */
  | 'COLLECTOR_BUSY';

export class NixPgoError extends Error {
  readonly code: ErrorCode;
  /** Lines a human needs to fix the problem, printed after the message. */
  readonly hints: readonly string[];

  constructor(code: ErrorCode, message: string, options: { hints?: readonly string[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hints = options.hints ?? [];
  }
}

/** Bad user input: a config file, a command line, a manifest. */
export class InputError extends NixPgoError {}

/** An external program is absent or returned an error. */
export class ToolError extends NixPgoError {
  readonly tool: string;
  readonly stderr: string;

  constructor(
    code: 'TOOL_MISSING' | 'TOOL_FAILED',
    tool: string,
    message: string,
    options: { hints?: readonly string[]; stderr?: string; cause?: unknown } = {},
  ) {
    super(code, message, options);
    this.tool = tool;
    this.stderr = options.stderr ?? '';
  }
}

/** Exit codes used by the CLI; one per error family. */
export function exitCodeFor(error: unknown): number {
  if (!(error instanceof NixPgoError)) return 70;
  switch (error.code) {
    case 'USAGE':
      return 64;
    case 'CONFIG_INVALID':
    case 'PROFILE_INVALID':
      return 65;
    case 'TOOL_MISSING':
      return 69;
    case 'TOOL_FAILED':
      return 71;
    case 'STATE':
    case 'COLLECTOR_BUSY':
      return 75;
  }
}
