import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { isOwnSource, trimSourceMap, type SourceMapV3 } from '../../../lib/bundling/source-map.ts';

/** The fixture bundled as the functions are: ESM, minified, external map without sources' text. */
const bundle = () => {
  const out = buildSync({
    entryPoints: [fileURLToPath(new URL('./fixtures/mixed-sources.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    minify: true,
    sourcemap: 'external',
    sourcesContent: false,
    write: false,
    outdir: '/virtual',
  });
  const code = out.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
  const map = JSON.parse(out.outputFiles.find((f) => f.path.endsWith('.js.map'))!.text) as SourceMapV3;
  return { code, map };
};

interface Entry {
  originalSource?: string;
  originalLine?: number;
  originalColumn?: number;
  name?: string;
}

describe('trimSourceMap', () => {
  const { code, map } = bundle();
  const trimmed = trimSourceMap(map);
  const before = new SourceMap(map as never);
  const after = new SourceMap(trimmed as never);
  const positions = code.split('\n').flatMap((line, l) => [...line].map((_, c) => [l, c] as const));

  it('keeps only our own sources and drops most of the map', () => {
    expect(map.sources.some((s) => !isOwnSource(s))).toBe(true);
    expect(trimmed.sources).toEqual(map.sources.filter(isOwnSource));
    expect(trimmed.sources.some((s) => s.endsWith('fixtures/mixed-sources.ts'))).toBe(true);
    expect(trimmed.mappings.length).toBeLessThan(map.mappings.length / 4);
  });

  it('maps every position in our code exactly as before', () => {
    const own = positions.filter(([line, column]) => isOwnSource((before.findEntry(line, column) as Entry).originalSource ?? 'node_modules/'));
    const show = (map: SourceMap, [line, column]: readonly [number, number]) => {
      const entry = map.findEntry(line, column) as Entry;
      return `${entry.originalSource}:${entry.originalLine}:${entry.originalColumn}:${entry.name}`;
    };
    expect(own.length).toBeGreaterThan(50);
    expect(own.filter((p) => show(after, p) !== show(before, p))).toEqual([]);
  });

  it('never attributes dependency code to our sources', () => {
    const dependency = positions.filter(([line, column]) => {
      const source = (before.findEntry(line, column) as Entry).originalSource;
      return source !== undefined && !isOwnSource(source);
    });
    expect(dependency.length).toBeGreaterThan(1000);
    expect(dependency.filter(([line, column]) => (after.findEntry(line, column) as Entry).originalSource !== undefined)).toEqual([]);
  });

  it('refuses a corrupt mapping string', () => {
    expect(() => trimSourceMap({ ...map, mappings: 'AAAA,!!' })).toThrow(/bad VLQ/);
  });
});
