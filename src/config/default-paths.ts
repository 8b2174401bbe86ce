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

/** `$NIX_PGO_CONFIG`, else `$XDG_CONFIG_HOME/nix-pgo/config.json`, else `~/.config/nix-pgo/config.json`. */
export function resolveDefaultConfigFile(env: Env): string | undefined {
  const explicit = env['NIX_PGO_CONFIG'];
  if (explicit) return explicit;
  const xdg = readAbsoluteVar(env, 'XDG_CONFIG_HOME');
  if (xdg) return path.join(xdg, 'nix-pgo', 'config.json');
  const home = readAbsoluteVar(env, 'HOME');
  return home ? path.join(home, '.config', 'nix-pgo', 'config.json') : undefined;
}
