#!/usr/bin/env node
/**
 * The `nix-pgo` executable: the registry of commands. To add a command, import
 * its Command object and put it in the list.
 */
import type { Command } from './command.js';
import { activateSystemCommand } from './commands/activate-system.js';
import { buildCommand } from './commands/build.js';
import { checkCommand } from './commands/check.js';
import { checkConfigCommand } from './commands/check-config.js';
import { daemonCommand } from './commands/daemon.js';
import { doctorCommand } from './commands/doctor.js';
import { envCommand } from './commands/env.js';
import { fleetCommand } from './commands/fleet.js';
import { gcCommand } from './commands/gc.js';
import { harvestCommand } from './commands/harvest.js';
import { resetCommand } from './commands/reset.js';
import { statusCommand } from './commands/status.js';
import { rollbackCommand, switchCommand } from './commands/switch.js';
import { createHelpCommand } from './commands/help.js';
import { readVersion } from './read-version.js';
import { runCli } from './run-cli.js';

const commands: Command[] = [
  daemonCommand,
  statusCommand,
  buildCommand,
  switchCommand,
  rollbackCommand,
  checkCommand,
  resetCommand,
  fleetCommand,
  envCommand,
  harvestCommand,
  gcCommand,
  doctorCommand,
  checkConfigCommand,
  activateSystemCommand,
] as Command[];
commands.push(createHelpCommand(() => commands));

process.exitCode = await runCli(process.argv.slice(2), {
  commands,
  version: await readVersion(),
  io: {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  },
});
