/**
 * The shape every CLI command has. A command's `run` calls core functions and
 * returns plain data; `render` turns that data into text for humans. `--json`
 * prints the data itself, so every command gets machine output for free.
 */
export interface ParsedArgs {
  /** Positional arguments after the command name. */
  positionals: string[];
  /** `--name value` and `--flag` options (flags are `true`). */
  options: Record<string, string | true>;
}

/** `flag`: `--name` alone; `value`: `--name VALUE` or `--name=VALUE`. */
export type OptionKind = 'flag' | 'value';
export type OptionSpec = Readonly<Record<string, OptionKind>>;

export interface Command<Result = unknown> {
  name: string;
  summary: string;
  /** One line per option or argument, shown by `nix-pgo help COMMAND`. */
  usage: string;
  /**
   * The options the command takes (besides the global --json and --help). With
   * it, `--name VALUE` parses unambiguously and a mistyped option is an error;
   * without it, any `--name word` is taken as an option with a value.
   */
  options?: OptionSpec;
  run(args: ParsedArgs): Promise<Result>;
  render(result: Result): string;
  /** Exit status for a result that is not an error (e.g. check-config found problems). */
  exitCode?(result: Result): number;
}
