/**
 * Reads a store derivation (`.drv`, the ATerm text `nix-instantiate` writes):
 * its output paths and its environment, where mkDerivation puts `name`,
 * `pname` and `version`. Pure: text in, value out.
 */
import { InputError } from '../errors/errors.js';

export interface Derivation {
  /** Output name → store path. */
  outputs: Record<string, string>;
  env: Record<string, string>;
}

type Term = string | Term[];

/** `Derive([outputs],[input drvs],[input srcs],system,builder,[args],[env])`. */
export function parseDerivation(text: string, file: string): Derivation {
  const fail = (why: string): never => {
    throw new InputError('CONFIG_INVALID', `${file}: not a store derivation (${why})`);
  };
  let at = 0;
  const expect = (s: string) => {
    if (!text.startsWith(s, at)) fail(`expected ${JSON.stringify(s)} at ${at}`);
    at += s.length;
  };
  const parseString = (): string => {
    expect('"');
    let out = '';
    for (;;) {
      const c = text[at++];
      if (c === undefined) return fail('unterminated string');
      if (c === '"') return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = text[at++];
      out += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : (e ?? '');
    }
  };
  const parseTerm = (): Term => {
    const c = text[at];
    if (c === '"') return parseString();
    const close = c === '[' ? ']' : c === '(' ? ')' : fail(`unexpected ${JSON.stringify(c ?? 'end')} at ${at}`);
    at++;
    const items: Term[] = [];
    while (text[at] !== close) {
      if (items.length > 0) expect(',');
      items.push(parseTerm());
    }
    at++;
    return items;
  };
  expect('Derive');
  const fields = parseTerm();
  if (!Array.isArray(fields) || fields.length !== 7) return fail('Derive needs 7 fields');
  const pairs = (term: Term | undefined, arity: number): string[][] =>
    Array.isArray(term) &&
    term.every((t) => Array.isArray(t) && t.length >= arity && t.every((x) => typeof x === 'string'))
      ? (term as string[][])
      : fail('malformed list');
  return {
    outputs: Object.fromEntries(pairs(fields[0], 2).map(([name, path]) => [name!, path!])),
    env: Object.fromEntries(pairs(fields[6], 2).map(([name, value]) => [name!, value!])),
  };
}

/** The package a derivation builds, as a user names it: `pname` and `version` where mkDerivation set them, else `name`. */
export function describeDerivation(drv: Derivation): { name: string; version: string | null } {
  const name = drv.env.pname || drv.env.name || '';
  return { name, version: drv.env.version || null };
}
