import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildOpenApiDocument } from './document.ts';

/** `npm run openapi`: writes openapi.json at the repository root (a test fails while it is stale). */
export const OPENAPI_FILE = resolve(import.meta.dirname, '..', 'openapi.json');

export const serializeDocument = (document: unknown) => `${JSON.stringify(document, null, 2)}\n`;

if (process.argv[1] === import.meta.filename) {
  writeFileSync(OPENAPI_FILE, serializeDocument(buildOpenApiDocument()));
  console.log(`wrote ${OPENAPI_FILE}`);
}
