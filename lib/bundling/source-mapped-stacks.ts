import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Injected into every bundled function (function-bundle.ts): stack traces that pass
 * through a bundle file point at our TypeScript, as NODE_OPTIONS=--enable-source-maps
 * would make them, but a file's map is read when a stack through that file is first
 * formatted. The flag reads and indexes every linked map while the function loads:
 * some 6 ms of the stream function's cold start, for what only a logged error uses.
 * Frames outside the bundle, or where the map has no entry, read as V8 writes them.
 */
const maps = new Map<string, SourceMap | null>();

const mapOf = (file: string): SourceMap | null => {
  let map = maps.get(file);
  if (map === undefined) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${fileURLToPath(file)}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
    } catch {
      map = null;
    }
    maps.set(file, map);
  }
  return map;
};

/** V8's call site, with the enclosing function's position (not in Node's types). */
type Site = NodeJS.CallSite & { getEnclosingLineNumber?(): number | null; getEnclosingColumnNumber?(): number | null };

const entryAt = (map: SourceMap, line: number | null | undefined, column: number | null | undefined) => {
  if (!line || !column) return undefined;
  const entry = map.findEntry(line - 1, column - 1) as Partial<{ originalSource: string; originalLine: number; originalColumn: number; name: string }>;
  return entry.originalSource ? entry : undefined;
};

/** The original name of the function a frame is in, as Node finds it: its own position first, then its caller's. */
const functionName = (map: SourceMap, sites: Site[], index: number): string | undefined => {
  const site = sites[index]!;
  const own = entryAt(map, site.getEnclosingLineNumber?.(), site.getEnclosingColumnNumber?.())?.name;
  if (own) return own;
  const caller = sites[index + 1];
  return caller && caller.getFileName() === site.getFileName() ? entryAt(map, caller.getLineNumber(), caller.getColumnNumber())?.name : undefined;
};

const frame = (sites: Site[], index: number): string => {
  const site = sites[index]!;
  const file = site.getFileName();
  const map = file?.startsWith('file:') && file.endsWith('.mjs') ? mapOf(file) : null;
  const entry = map ? entryAt(map, site.getLineNumber(), site.getColumnNumber()) : undefined;
  if (!map || !entry) return site.toString();
  const location = `${entry.originalSource}:${entry.originalLine! + 1}:${entry.originalColumn! + 1}`;
  const name = functionName(map, sites, index) ?? site.getFunctionName();
  return `${site.isAsync() ? 'async ' : ''}${name ? `${name} (${location})` : location}`;
};

const heading = (error: unknown): string => {
  try {
    return Error.prototype.toString.call(error);
  } catch {
    return '<error>';
  }
};

Error.prepareStackTrace = (error, sites) => [heading(error), ...(sites as Site[]).map((_, index) => `    at ${frame(sites as Site[], index)}`)].join('\n');
