/**
 * schema/config.schema.json as text, made from the definition in
 * config-schema.ts: standard JSON Schema (draft-07) for editors, without the
 * custom keywords that only nix-pgo's own messages use.
 */
import { ConfigFileSchema, CUSTOM_KEYWORDS } from './config-schema.js';

export const CONFIG_SCHEMA_DRAFT = 'http://json-schema.org/draft-07/schema#';

/** Where the generated file lives, from the repository root. */
export const CONFIG_SCHEMA_PATH = 'schema/config.schema.json';

// Keywords a reader looks for first; the rest keep the order the definition gives them.
const LEADING_KEYWORDS = ['$schema', 'title', 'description', 'type', 'const', 'default'];

function toPlainSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toPlainSchema);
  if (typeof node !== 'object' || node === null) return node;
  // Object.entries skips TypeBox's symbol keys (Kind, Optional).
  const entries = Object.entries(node).filter(([key]) => !(CUSTOM_KEYWORDS as readonly string[]).includes(key));
  const rank = (key: string) => {
    const index = LEADING_KEYWORDS.indexOf(key);
    return index === -1 ? LEADING_KEYWORDS.length : index;
  };
  entries.sort(([a], [b]) => rank(a) - rank(b));
  return Object.fromEntries(
    entries.map(([key, value]) => [
      key,
      key === 'properties' || key === 'patternProperties' ? mapValues(value) : toPlainSchema(value),
    ]),
  );
}

/** `properties` holds schemas by key name: keep the keys as written, convert the schemas. */
function mapValues(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, schema]) => [key, toPlainSchema(schema)]));
}

export function renderConfigSchemaFile(): string {
  const schema = toPlainSchema({ $schema: CONFIG_SCHEMA_DRAFT, ...ConfigFileSchema });
  return `${JSON.stringify(schema, null, 2)}\n`;
}
