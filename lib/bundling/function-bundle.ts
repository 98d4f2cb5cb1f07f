import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync, type BuildOptions, type Metafile, type OutputFile } from 'esbuild';
import { ENTRY_FILE, reachableFrom } from './bundle-graph.ts';
import { trimSourceMap, type SourceMapV3 } from './source-map.ts';
import { LAMBDA_NODE_MAJOR } from '../lambda-node.ts';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** node:http without the ES module facade that loads undici (see node-http.ts). */
const NODE_HTTP = fileURLToPath(new URL('./node-http.ts', import.meta.url));
/** Run first in every function: stack traces mapped to our sources when they are formatted. */
const SOURCE_MAPPED_STACKS = fileURLToPath(new URL('./source-mapped-stacks.ts', import.meta.url));

/** Where the lazily loaded parts go, beside the entry file. */
const CHUNK_DIR = 'chunks';

/**
 * How each function is bundled, by the local esbuild (no Docker). Code splitting turns
 * every dynamic `import()` into a chunk file that loads when first used, so a cold
 * start compiles only the entry and the chunks it imports statically. ESM needs the
 * createRequire banner (on every file) for the CommonJS packages that call `require`.
 * The AWS SDK is bundled, not taken from the runtime: it pins the tested versions and
 * the api's presigner packages are not guaranteed to be in the runtime. node:http is
 * aliased to a module that takes it through `require` (node-http.ts). Every function
 * starts with source-mapped-stacks.ts, which maps stack traces lazily. Each file's
 * source map is a file beside it, linked by a comment, without the sources' text and
 * cut down to our own sources (see source-map.ts). Paths are relative to the project
 * root, wherever the output is written: the same code always gives the same bytes,
 * and so the same asset hash.
 */
export const functionBuildOptions = (entry: string) =>
  ({
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [{ in: entry, out: ENTRY_FILE.replace(/\.mjs$/, '') }],
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: `node${LAMBDA_NODE_MAJOR}`,
    mainFields: ['module', 'main'],
    minify: true,
    charset: 'utf8',
    sourcemap: 'linked',
    sourcesContent: false,
    // Never written there: output files are taken from memory (see bundleFunction).
    outdir: PROJECT_ROOT,
    chunkNames: `${CHUNK_DIR}/[name]-[hash]`,
    outExtension: { '.js': '.mjs' },
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    alias: { 'node:http': NODE_HTTP, http: NODE_HTTP },
    inject: [SOURCE_MAPPED_STACKS],
    logLevel: 'warning',
  }) satisfies BuildOptions;

/**
 * A readable name for the chunk of a dynamically imported package: esbuild names one
 * after its file (`dist-es` for `dist-es/index.js`), this after the package and, for a
 * package with several entry points, the submodule or file.
 */
const packageChunkName = (entryPoint: string): string | undefined => {
  const match = /node_modules\/(?:@([^/]+)\/)?([^/]+)\/(.+)$/.exec(entryPoint);
  if (!match) return undefined;
  const [, scope, name, file] = match as unknown as [string, string | undefined, string, string];
  const part = /submodules\/([^/]+)\//.exec(file)?.[1] ?? basename(file).replace(/\.[cm]?js$/, '');
  return [scope, name, part === 'index' || part === name ? undefined : part].filter(Boolean).join('-');
};

/** Old file name → new one, for the chunks of dynamically imported packages. */
const chunkRenames = (metafile: Metafile): Map<string, string> => {
  const renames = new Map<string, string>();
  for (const [file, output] of Object.entries(metafile.outputs)) {
    const name = output.entryPoint && file.startsWith(`${CHUNK_DIR}/`) ? packageChunkName(output.entryPoint) : undefined;
    const hash = /-([A-Z0-9]+)\.mjs$/.exec(file)?.[1];
    if (name && hash) renames.set(basename(file), `${name}-${hash}.mjs`);
  }
  return renames;
};

/** Rewrites the names in one file's text; hashed names cannot occur by accident. */
const renameIn = (text: string, renames: Map<string, string>): string => {
  let out = text;
  for (const [from, to] of renames) out = out.replaceAll(from, to);
  return out;
};

const outputText = (file: OutputFile, renames: Map<string, string>): string =>
  file.path.endsWith('.map') ? JSON.stringify(trimSourceMap(JSON.parse(file.text) as SourceMapV3)) : renameIn(file.text, renames);

/**
 * Bundles `entry` (relative to the project root) into `outputDir`: the entry file,
 * chunks/, their maps. A chunk nothing imports is left out: esbuild still emits one for a
 * dynamic import in code it dropped (the SDK's browser-only `import('bowser')`).
 */
export const bundleFunction = (entry: string, outputDir: string): void => {
  const result = buildSync({ ...functionBuildOptions(entry), write: false, metafile: true });
  const renames = chunkRenames(result.metafile);
  const used = reachableFrom(result.metafile.outputs, ENTRY_FILE);
  for (const file of result.outputFiles) {
    const path = relative(PROJECT_ROOT, file.path);
    if (!used.has(path.replace(/\.map$/, ''))) continue;
    const target = join(outputDir, renameIn(path, renames));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText(file, renames));
  }
};
