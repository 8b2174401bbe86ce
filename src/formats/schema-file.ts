/**
 * A TypeBox schema as the text of a published JSON Schema file (draft-07):
 * TypeBox's own symbol keys and nix-pgo's custom keywords left out, the
 * keywords a reader looks for first.
 */
import type { TSchema } from '@sinclair/typebox';

export const SCHEMA_DRAFT = 'http://json-schema.org/draft-07/schema#';

/** The custom keyword the file formats' schemas carry: a valid value in words, for messages (format-problems.ts). */
export const EXPECTED_KEYWORD = 'expected';

// Keywords a reader looks for first; the rest keep the order the definition gives them.
const LEADING_KEYWORDS = ['$schema', 'title', 'description', 'type', 'const', 'default'];

function toPlainSchema(node: unknown, drop: readonly string[]): unknown {
  if (Array.isArray(node)) return node.map((item) => toPlainSchema(item, drop));
  if (typeof node !== 'object' || node === null) return node;
  // Object.entries skips TypeBox's symbol keys (Kind, Optional).
  const entries = Object.entries(node).filter(([key]) => !drop.includes(key));
  const rank = (key: string) => {
    const index = LEADING_KEYWORDS.indexOf(key);
    return index === -1 ? LEADING_KEYWORDS.length : index;
  };
  entries.sort(([a], [b]) => rank(a) - rank(b));
  return Object.fromEntries(
    entries.map(([key, value]) => [
      key,
      // Schemas by property name: keep the names as written, convert the schemas.
      key === 'properties' || key === 'patternProperties'
        ? Object.fromEntries(
            Object.entries(value as object).map(([name, schema]) => [name, toPlainSchema(schema, drop)]),
          )
        : toPlainSchema(value, drop),
    ]),
  );
}

/** The file's text: `schema` with `$schema` first and the keywords in `drop` left out everywhere. */
export function renderSchemaFile(schema: TSchema, drop: readonly string[] = [EXPECTED_KEYWORD]): string {
  return `${JSON.stringify(toPlainSchema({ $schema: SCHEMA_DRAFT, ...schema }, drop), null, 2)}\n`;
}
