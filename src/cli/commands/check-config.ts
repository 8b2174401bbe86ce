/**
 * `nix-pgo check-config [FILE]`: parse a config and list every problem, or
 * summarize what it manages. The NixOS module runs it at build time.
 */
import type { Config, ConfigProblem } from '../../config/config-types.js';
import { formatProblems } from '../../config/config-invalid-error.js';
import { describePolicy } from '../../config/describe-policy.js';
import { inspectConfig } from '../../config/read-config.js';
import { InputError } from '../../errors/errors.js';
import type { FileReference } from '../../config/parse-config.js';
import { checkPackageAttributes } from '../../variants/check-attributes.js';
import type { Command, OptionSpecs } from '../command.js';

export interface CheckConfigResult {
  ok: boolean;
  file: string;
  /** False when no file was given and none is at the default location (defaults apply). */
  exists: boolean;
  problems: ConfigProblem[];
  config: Config | null;
  /** Files the config names that were not checked: outside the Nix store, with --sandbox. */
  unchecked: FileReference[];
}

const options = { sandbox: { type: 'flag' } } as const satisfies OptionSpecs;

function renderUnchecked(unchecked: readonly FileReference[]): string[] {
  return unchecked.length === 0
    ? []
    : ['  not checked (outside the Nix store, --sandbox):', ...unchecked.map((r) => `    ${r.path}  ${r.file}`)];
}

function renderConfig(file: string, exists: boolean, config: Config, unchecked: readonly FileReference[]): string {
  const header = exists ? `OK: ${file}` : `OK: no config file at ${file}; the defaults apply`;
  const count = config.packages.length === 1 ? '1 package' : `${config.packages.length} packages`;
  const width = Math.max(0, ...config.packages.map((p) => p.name.length));
  return [
    header,
    `  state dir    ${config.stateDir}`,
    `  spool dir    ${config.spoolDir}`,
    `  Nix profile  ${config.nixProfile}`,
    `  notify hook  ${config.notify.hook ?? '(none)'}`,
    `  desktop      ${config.notify.desktop ? 'notifications where a session bus and notify-send exist' : 'no notifications'}`,
    `  ${count}${config.packages.length > 0 ? ':' : ''}`,
    ...config.packages.flatMap((p) => [
      `    ${p.name.padEnd(width)}  ${p.attr} from ${p.nixFile} (profiles through --arg ${p.profileArg})`,
      `    ${''.padEnd(width)}  ${describePolicy(p.policy)}`,
    ]),
    ...renderUnchecked(unchecked),
  ].join('\n');
}

export const checkConfigCommand: Command<CheckConfigResult, typeof options> = {
  name: 'check-config',
  summary: 'check a config file and list every problem in it',
  usage: [
    'nix-pgo check-config [FILE] [--sandbox] [--json]',
    '  FILE       the config file, which must exist; default: $NIX_PGO_CONFIG (which must exist too),',
    '             else $XDG_CONFIG_HOME/nix-pgo/config.json, else ~/.config/nix-pgo/config.json',
    '             (absent there: the defaults, no packages)',
    '  --sandbox  check as a Nix build sandbox can: files the config names outside the Nix store',
    '             (which may not exist yet) are listed, not checked, and the Nix file is not evaluated;',
    '             everything else is',
    '  --json     print the result (problems or the normalized config) as JSON',
    "Without --sandbox it also evaluates each package's ATTR.pgo.profile in its Nix file (nothing is built).",
    'Exits 0 when the config is valid, 65 when it has problems.',
  ].join('\n'),
  options,
  async run(args): Promise<CheckConfigResult> {
    if (args.positionals.length > 1) {
      throw new InputError('USAGE', `check-config takes one file, not ${args.positionals.length}`, {
        hints: ['usage: nix-pgo check-config [FILE]'],
      });
    }
    const sandbox = args.options.sandbox === true;
    const report = await inspectConfig({ file: args.positionals[0], storeFilesOnly: sandbox });
    // A sandboxed build cannot evaluate the Nix file; everyone else learns of a missing attribute here.
    const problems =
      report.config !== null && !sandbox
        ? [...report.problems, ...(await checkPackageAttributes(report.config))]
        : report.problems;
    const ok = report.config !== null && problems.length === 0;
    return {
      ok,
      file: report.file,
      exists: report.exists,
      problems,
      config: ok ? report.config : null,
      unchecked: report.unchecked,
    };
  },
  render(result: CheckConfigResult): string {
    if (result.config === null) return formatProblems(result.file, result.problems);
    return renderConfig(result.file, result.exists, result.config, result.unchecked);
  },
  exitCode(result: CheckConfigResult): number {
    return result.ok ? 0 : 65;
  },
};
