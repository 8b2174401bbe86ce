// What every wrapper of a Nix command shares: the install hint and options.

export const NIX_INSTALL_HINT = 'install Nix: on Debian `apt-get install nix-bin`, elsewhere see the Nix manual';

/**
 * Options that keep Nix from asking binary caches. Unreachable caches only add
 * timeouts, and an optimized build depends on a local profile anyway.
 */
export function substituterOptions(useSubstitutes: boolean): string[] {
  return useSubstitutes ? [] : ['--option', 'substituters', ''];
}

/** `text` as a Nix string literal (pure): `\\`, `"` and `$` escaped, so nothing in it is interpolated. */
export function nixString(text: string): string {
  return `"${text.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}
