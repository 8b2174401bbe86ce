/**
 * The manifest has one definition (src/formats/manifest-schema.ts); the
 * committed schema/manifest.schema.json is generated from it and the parser
 * checks with it (test/formats/manifest.test.ts). The builders' real output
 * is checked against it wherever a test reads a manifest
 * (test/support/nix.ts: checkedManifest).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { TSchema } from '@sinclair/typebox';
import { MANIFEST_SCHEMA_PATH, ManifestSchema } from '../../src/formats/manifest-schema.js';
import { EXPECTED_KEYWORD, renderSchemaFile } from '../../src/formats/schema-file.js';

// From dist/test/formats/ back to the repository root.
const committed = readFileSync(new URL(`../../../${MANIFEST_SCHEMA_PATH}`, import.meta.url), 'utf8');

interface Node {
  type?: string;
  properties?: Record<string, Node>;
  items?: Node;
  anyOf?: Node[];
  additionalProperties?: boolean;
  [key: string]: unknown;
}

/** Every object schema below `node`, with where it is. */
function* objects(node: Node, where: string): Generator<[string, Node]> {
  if (node.type === 'object') yield [where, node];
  for (const [key, value] of Object.entries(node.properties ?? {})) yield* objects(value, `${where}.${key}`);
  if (node.items) yield* objects(node.items, `${where}[]`);
  for (const [i, variant] of (node.anyOf ?? []).entries()) yield* objects(variant, `${where}|${i}`);
}

describe('schema/manifest.schema.json', () => {
  it('is what the definition generates (run `npm run schema` after changing src/formats/manifest-schema.ts)', () => {
    assert.equal(committed, renderSchemaFile(ManifestSchema));
  });

  it('is plain JSON Schema with one variant per kind, and forbids unknown members in every object', () => {
    const schema = JSON.parse(committed) as Node;
    assert.deepEqual(
      schema.anyOf?.map((variant) => variant.properties?.kind?.const),
      ['profile', 'optimized', 'bolt-profile', 'bolt-optimized'],
    );
    assert.doesNotMatch(committed, new RegExp(`"${EXPECTED_KEYWORD}"`));
    for (const [where, node] of objects(schema, 'root'))
      assert.equal(node.additionalProperties, false, `${where} must forbid unknown members`);
  });

  it('words every member for messages', () => {
    for (const [where, node] of objects(ManifestSchema as unknown as Node, 'root')) {
      for (const [key, member] of Object.entries(node.properties ?? {}))
        assert.equal(
          typeof (member as TSchema)[EXPECTED_KEYWORD],
          'string',
          `${where}.${key} has no ${EXPECTED_KEYWORD}`,
        );
    }
  });
});
