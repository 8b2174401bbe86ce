/**
 * Structured logs: one JSON object per line on stderr, which journald keeps as
 * the message and `jq` can read. Tests pass their own sink.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, event: string, fields?: Record<string, unknown>): void;
}

export function createLogger(
  write: (line: string) => void = (line) => process.stderr.write(line),
  minLevel: LogLevel = 'info',
): Logger {
  const order: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  return {
    log(level, event, fields = {}) {
      if (order.indexOf(level) < order.indexOf(minLevel)) return;
      write(`${JSON.stringify({ time: new Date().toISOString(), level, event, ...fields })}\n`);
    },
  };
}

/**
 * The same events for a person at a terminal (the one-shot commands without --json): one line per
 * event on stderr, `nix-pgo: build started: package minivm, variant optimized, log /…`.
 */
export function createHumanLogger(
  write: (line: string) => void = (line) => process.stderr.write(line),
  minLevel: LogLevel = 'info',
): Logger {
  const order: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  const show = (value: unknown): string =>
    typeof value === 'string' ? value : Array.isArray(value) ? value.map(show).join(', ') : JSON.stringify(value);
  return {
    log(level, event, fields = {}) {
      if (order.indexOf(level) < order.indexOf(minLevel)) return;
      const words = Object.entries(fields)
        .filter(([, value]) => value !== undefined && value !== null)
        .map(([key, value]) => `${key} ${show(value)}`)
        .join(', ');
      const prefix = level === 'warn' || level === 'error' ? `${level}: ` : '';
      write(`nix-pgo: ${prefix}${event.replaceAll('-', ' ')}${words ? `: ${words}` : ''}\n`);
    },
  };
}
