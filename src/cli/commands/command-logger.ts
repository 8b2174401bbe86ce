// The log of a one-shot command: JSON lines with --json (for programs), words for a person otherwise.
import { createHumanLogger, createLogger, type Logger } from '../../log/logger.js';

export function commandLogger(args: { options: { json?: true } }): Logger {
  return args.options.json ? createLogger() : createHumanLogger();
}
