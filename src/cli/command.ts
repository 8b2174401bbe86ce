/**
 * The shape every CLI command has. A command's `run` calls core functions and
 * returns plain data; `render` turns that data into text for humans. `--json`
 * prints the data itself, so every command gets machine output for free.
 */

/** `--name` alone; its value is `true`. */
export interface FlagOption {
  readonly type: 'flag';
  /** A one-letter alias, e.g. `h` for `-h`. */
  readonly short?: string;
}

/** `--name VALUE` or `--name=VALUE`; the value as written. */
export interface StringOption {
  readonly type: 'string';
  readonly short?: string;
}

/**
 * `--name N` or `--name=N` with N a whole number in [min, max]; anything else
 * (`abc`, `1.5`, `1e3`, out of range) is a usage error that names the option,
 * the value and the range, so the command receives a number.
 */
export interface IntegerOption {
  readonly type: 'integer';
  readonly short?: string;
  /** Smallest allowed value; default: Number.MIN_SAFE_INTEGER. */
  readonly min?: number;
  /** Largest allowed value; default: Number.MAX_SAFE_INTEGER. */
  readonly max?: number;
}

export type OptionSpec = FlagOption | StringOption | IntegerOption;

/** The options a command takes, by long name (without `--`). */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** What an option of a given spec parses to. */
export type OptionValue<S extends OptionSpec> = S extends FlagOption ? true : S extends IntegerOption ? number : string;

/** Parsed options: present ones have their value, absent ones are undefined (the last of a repeated option wins). */
export type OptionValues<Specs extends OptionSpecs> = { -readonly [K in keyof Specs]?: OptionValue<Specs[K]> };

/** The options every command accepts besides its own; run-cli acts on them. */
export interface GlobalOptionValues {
  json?: true;
  help?: true;
}

export interface ParsedArgs<Specs extends OptionSpecs = OptionSpecs> {
  /** Positional arguments after the command name. */
  positionals: string[];
  options: OptionValues<Specs> & GlobalOptionValues;
}

export interface Command<Result = unknown, Specs extends OptionSpecs = OptionSpecs> {
  name: string;
  summary: string;
  /** One line per option or argument, shown by `nix-pgo help COMMAND`. */
  usage: string;
  /**
   * The options the command takes (besides the global --json and --help), `{}`
   * for none. An option not listed here is a usage error with a suggestion.
   * Declare them `as const satisfies OptionSpecs` so `run` sees typed values.
   */
  options: Specs;
  run(args: ParsedArgs<Specs>): Promise<Result>;
  render(result: Result): string;
  /** Exit status for a result that is not an error (e.g. check-config found problems). */
  exitCode?(result: Result): number;
}
