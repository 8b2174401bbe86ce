/**
 * `nix-pgo help [COMMAND]`: the list of commands, or one command's usage.
 */
import { InputError } from '../../errors/errors.js';
import { suggestName } from '../../suggest/suggest-name.js';
import type { Command, ParsedArgs } from '../command.js';

export type HelpResult =
  | { commands: { name: string; summary: string }[] }
  | { command: string; summary: string; usage: string };

export function formatCommandList(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: nix-pgo COMMAND [ARGUMENTS] [--json]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "nix-pgo help COMMAND shows a command's arguments; --json prints any result as JSON; --version prints the version.",
  ].join('\n');
}

export function formatCommandHelp(command: { name: string; summary: string; usage: string }): string {
  return `nix-pgo ${command.name}: ${command.summary}\n\n${command.usage}`;
}

export function createUnknownCommandError(name: string, commands: readonly Command[]): InputError {
  const guess = suggestName(
    name,
    commands.map((c) => c.name),
  );
  return new InputError('USAGE', `unknown command: ${name}`, {
    hints: [...(guess ? [`did you mean ${guess}?`] : []), `commands: ${commands.map((c) => c.name).join(', ')}`],
  });
}

/** The help command needs the registry it is part of, so it is made from a getter. */
export function createHelpCommand(listCommands: () => readonly Command[]): Command<HelpResult> {
  return {
    name: 'help',
    summary: 'list the commands, or show how to use one',
    usage: 'nix-pgo help [COMMAND]\n  COMMAND  the command to explain; without it, all commands are listed',
    options: {},
    async run(args: ParsedArgs): Promise<HelpResult> {
      const commands = listCommands();
      const [topic, ...extra] = args.positionals;
      if (extra.length > 0) throw new InputError('USAGE', 'help takes at most one command name');
      if (topic === undefined) return { commands: commands.map(({ name, summary }) => ({ name, summary })) };
      const command = commands.find((c) => c.name === topic);
      if (!command) throw createUnknownCommandError(topic, commands);
      return { command: command.name, summary: command.summary, usage: command.usage };
    },
    render(result: HelpResult): string {
      if ('commands' in result) return formatCommandList(listCommands());
      return formatCommandHelp({ name: result.command, summary: result.summary, usage: result.usage });
    },
  };
}
