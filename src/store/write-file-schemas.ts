/**
 * `npm run schema` (after the config's): writes schema/manifest.schema.json
 * and schema/lock.schema.json from their definitions. Unit tests fail while a
 * committed file differs from what this writes.
 */
import { writeFile } from 'node:fs/promises';
import { MANIFEST_SCHEMA_PATH, ManifestSchema } from '../formats/manifest-schema.js';
import { renderSchemaFile } from '../formats/schema-file.js';
import { LOCK_SCHEMA_PATH, LockFileSchema } from './lock-file-schema.js';

for (const [path, schema] of [
  [MANIFEST_SCHEMA_PATH, ManifestSchema],
  [LOCK_SCHEMA_PATH, LockFileSchema],
] as const) {
  // Compiled to dist/src/store/, three levels below the repository root.
  await writeFile(new URL(`../../../${path}`, import.meta.url), renderSchemaFile(schema));
  process.stdout.write(`wrote ${path}\n`);
}
