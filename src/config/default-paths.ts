/**
 * Where state and config live when the config does not say, following the XDG
 * base directory rules (relative XDG_* values are ignored, as the spec asks).
 */
import path from 'node:path';

export type Env = Readonly<Record<string, string | undefined>>;

function readAbsoluteVar(env: Env, name: string): string | undefined {
  const value = env[name];
  return value !== undefined && path.isAbsolute(value) ? value : undefined;
}

/** `$XDG_STATE_HOME/nix-pgo`, else `~/.local/state/nix-pgo`; undefined without either. */
export function resolveDefaultStateDir(env: Env): string | undefined {
  const xdg = readAbsoluteVar(env, 'XDG_STATE_HOME');
  if (xdg) return path.join(xdg, 'nix-pgo');
  const home = readAbsoluteVar(env, 'HOME');
  return home ? path.join(home, '.local', 'state', 'nix-pgo') : undefined;
}

/** Where the config file is when no FILE is given, and who said so. */
export interface ConfigLocation {
  file: string;
  /** `NIX_PGO_CONFIG`: named by the variable, so it must exist; `default`: the XDG location, which may be absent. */
  source: 'NIX_PGO_CONFIG' | 'default';
}

/**
 * `$NIX_PGO_CONFIG` (when set and not empty), else `$XDG_CONFIG_HOME/nix-pgo/config.json`,
 * else `~/.config/nix-pgo/config.json`; undefined when none of them can be formed.
 */
export function resolveConfigLocation(env: Env): ConfigLocation | undefined {
  const named = env.NIX_PGO_CONFIG;
  if (named) return { file: named, source: 'NIX_PGO_CONFIG' };
  const xdg = readAbsoluteVar(env, 'XDG_CONFIG_HOME');
  if (xdg) return { file: path.join(xdg, 'nix-pgo', 'config.json'), source: 'default' };
  const home = readAbsoluteVar(env, 'HOME');
  return home ? { file: path.join(home, '.config', 'nix-pgo', 'config.json'), source: 'default' } : undefined;
}
