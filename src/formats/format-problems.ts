/**
 * What is wrong with a document that nix-pgo's builders or the daemon wrote,
 * by the format's schema: one line per place, `WHERE must be EXPECTED`, the
 * words from the failing schema node's `expected`. Members the schema does
 * not know are ignored (a newer writer may add some), not reported.
 */
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { EXPECTED_KEYWORD } from './schema-file.js';

/** `/binaries/0/path` → `binaries[0].path`; the document itself is `the document`. */
function placeOf(pointer: string): string {
  if (pointer === '') return 'the document';
  return pointer
    .slice(1)
    .split('/')
    .map((key) => key.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((place, key) => (/^\d+$/.test(key) ? `${place}[${key}]` : place === '' ? key : `${place}.${key}`), '');
}

/** Every problem of `document` against `schema`, each place once; empty when it fits. */
export function formatProblems(schema: TSchema, document: unknown): string[] {
  const known = Value.Clean(schema, structuredClone(document));
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const error of Value.Errors(schema, known)) {
    if (seen.has(error.path)) continue;
    seen.add(error.path);
    const expected = (error.schema as Record<string, unknown>)[EXPECTED_KEYWORD];
    problems.push(`${placeOf(error.path)} must be ${typeof expected === 'string' ? expected : error.message}`);
  }
  return problems;
}
