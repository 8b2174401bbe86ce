/**
 * schema/config.schema.json as text, made from the definition in
 * config-schema.ts: standard JSON Schema (draft-07) for editors, without the
 * custom keywords that only nix-pgo's own messages use.
 */
import { renderSchemaFile } from '../formats/schema-file.js';
import { ConfigFileSchema, CUSTOM_KEYWORDS } from './config-schema.js';

/** Where the generated file lives, from the repository root. */
export const CONFIG_SCHEMA_PATH = 'schema/config.schema.json';

export function renderConfigSchemaFile(): string {
  return renderSchemaFile(ConfigFileSchema, CUSTOM_KEYWORDS);
}
