/**
 * One invocation of the CLI: pick the command, run it, print its result or the
 * error, and return the exit status. main.ts only supplies the real process.
 */
import { exitCodeFor, NixPgoError } from '../errors/errors.js';
import type { Command } from './command.js';
import { formatCommandHelp, formatCommandList, createUnknownCommandError } from './commands/help.js';
import { GLOBAL_OPTIONS, parseArgs, splitCommand } from './parse-args.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface CliContext {
  commands: readonly Command[];
  version: string;
  io: CliIo;
}

function endLine(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** The error as stderr lines: the message, then one line per hint. */
function formatError(error: unknown): string {
  if (error instanceof NixPgoError) {
    return [`nix-pgo: ${error.message}`, ...error.hints.map((hint) => `  hint: ${hint}`)].join('\n');
  }
  // Not one of ours: a bug, so the stack is what a report needs.
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `nix-pgo: internal error: ${detail}`;
}

function formatErrorJson(error: unknown): string {
  const known = error instanceof NixPgoError;
  return JSON.stringify({
    error: {
      code: known ? error.code : 'INTERNAL',
      message: error instanceof Error ? error.message : String(error),
      hints: known ? error.hints : [],
    },
  });
}

export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  const { commands, io } = context;
  const { name, rest } = splitCommand(argv);
  let json = rest.includes('--json');
  try {
    if (name === undefined) {
      const top = parseArgs(rest, { ...GLOBAL_OPTIONS, version: { type: 'flag' } }, 'nix-pgo');
      if (top.options.version === true) {
        io.stdout(endLine(json ? JSON.stringify({ version: context.version }) : `nix-pgo ${context.version}`));
        return 0;
      }
      if (top.options.help === true) {
        io.stdout(endLine(formatCommandList(commands)));
        return 0;
      }
      io.stderr(endLine(formatCommandList(commands)));
      return 64;
    }
    const command = commands.find((c) => c.name === name);
    if (!command) throw createUnknownCommandError(name, commands);
    const args = parseArgs(rest, command.options, command.name);
    json = args.options.json === true;
    if (args.options.help === true) {
      io.stdout(endLine(formatCommandHelp(command)));
      return 0;
    }
    const result = await command.run(args);
    io.stdout(endLine(json ? JSON.stringify(result) : command.render(result)));
    return command.exitCode?.(result) ?? 0;
  } catch (error) {
    if (json) io.stdout(endLine(formatErrorJson(error)));
    io.stderr(endLine(formatError(error)));
    return exitCodeFor(error);
  }
}
