/**
 * `npm run schema`: writes schema/config.schema.json from config-schema.ts.
 * A unit test fails while the committed file differs from what this writes.
 */
import { writeFile } from 'node:fs/promises';
import { CONFIG_SCHEMA_PATH, renderConfigSchemaFile } from './config-schema-file.js';

// Compiled to dist/src/config/, three levels below the repository root.
const target = new URL(`../../../${CONFIG_SCHEMA_PATH}`, import.meta.url);
await writeFile(target, renderConfigSchemaFile());
process.stdout.write(`wrote ${CONFIG_SCHEMA_PATH}\n`);
