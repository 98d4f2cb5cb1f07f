import { readFileSync, writeFileSync } from 'node:fs';
import { trimSourceMap, type SourceMapV3 } from './source-map.ts';

/** `afterBundling` step: rewrites the bundle's source map in place (see source-map.ts). */
const [file] = process.argv.slice(2);
if (!file) throw new Error('usage: trim-source-map <index.mjs.map>');
const map = JSON.parse(readFileSync(file, 'utf8')) as SourceMapV3;
writeFileSync(file, JSON.stringify(trimSourceMap(map)));
