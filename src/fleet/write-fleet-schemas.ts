/**
 * `npm run schema` (after the others): writes the schema files of what a fleet
 * puts into its cache. A unit test fails while a committed file differs.
 */
import { writeFile } from 'node:fs/promises';
import { renderSchemaFile } from '../formats/schema-file.js';
import { FLEET_SCHEMA_FILES } from './fleet-documents.js';

for (const [path, schema] of FLEET_SCHEMA_FILES) {
  // Compiled to dist/src/fleet/, three levels below the repository root.
  await writeFile(new URL(`../../../${path}`, import.meta.url), renderSchemaFile(schema));
  process.stdout.write(`wrote ${path}\n`);
}
