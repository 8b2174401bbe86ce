/**
 * The small set of error classes the core throws. Each has a stable `code` so
 * the entry points (CLI, daemon) can map it to an exit status and a log line
 * without parsing messages. Every code belongs to exactly one class (the
 * family of its exit status), and only the families are thrown.
 */

/** Bad input a user can correct: a command line, a config file, a manifest or profile. */
export type InputErrorCode = 'USAGE' | 'CONFIG_INVALID' | 'PROFILE_INVALID';

/** An external program is absent or returned an error. */
export type ToolErrorCode = 'TOOL_MISSING' | 'TOOL_FAILED';

export type StateErrorCode =
  /** The request does not fit what the state directory, the database or a package's record holds. */
  | 'STATE'
  /** Another process holds the collector lock of this state directory (a running daemon). */
  | 'COLLECTOR_BUSY';

export type ErrorCode = InputErrorCode | ToolErrorCode | StateErrorCode;

export interface ErrorOptions {
  /** Lines a human needs to fix the problem, printed after the message. */
  hints?: readonly string[];
  cause?: unknown;
}

export abstract class NixPgoError extends Error {
  readonly code: ErrorCode;
  /** Lines a human needs to fix the problem, printed after the message. */
  readonly hints: readonly string[];

  protected constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hints = options.hints ?? [];
  }
}

/** Bad user input: a config file, a command line, a manifest. */
export class InputError extends NixPgoError {
  declare readonly code: InputErrorCode;

  constructor(code: InputErrorCode, message: string, options: ErrorOptions = {}) {
    super(code, message, options);
  }
}

/** An external program is absent or returned an error. */
export class ToolError extends NixPgoError {
  declare readonly code: ToolErrorCode;
  readonly tool: string;
  readonly stderr: string;
  /** The signal that ended the tool (SIGINT from Ctrl-C, SIGTERM from a stop), or null when it exited by itself. */
  readonly signal: string | null;

  constructor(
    code: ToolErrorCode,
    tool: string,
    message: string,
    options: { hints?: readonly string[]; stderr?: string; cause?: unknown; signal?: string | null } = {},
  ) {
    super(code, message, options);
    this.tool = tool;
    this.stderr = options.stderr ?? '';
    this.signal = options.signal ?? null;
  }
}

/** What is asked does not fit the state: a package's record, the database, a Nix profile, another process. */
export class StateError extends NixPgoError {
  declare readonly code: StateErrorCode;

  constructor(code: StateErrorCode, message: string, options: ErrorOptions = {}) {
    super(code, message, options);
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
