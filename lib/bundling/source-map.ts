import { decode, encode, type SourceMapSegment } from '@jridgewell/sourcemap-codec';

/**
 * Cuts a bundle's source map down to our own sources: a map of everything bundled is
 * twice the code, and stack traces only need to point into ours. Positions in
 * dependencies become unmapped (their stack frames show bundle positions), positions in
 * our code map exactly as before. The maps are read when a stack is first formatted
 * (source-mapped-stacks.ts).
 */
export interface SourceMapV3 {
  version: 3;
  sources: string[];
  names: string[];
  mappings: string;
  sourcesContent?: (string | null)[];
  file?: string;
}

export const isOwnSource = (source: string): boolean => !source.includes('node_modules/');

export const trimSourceMap = (map: SourceMapV3, keep: (source: string) => boolean = isOwnSource): SourceMapV3 => {
  // The codec reads any character as some digit: a corrupt map is refused, not trimmed into nonsense.
  const bad = map.mappings.match(/[^A-Za-z0-9+/,;]/);
  if (bad) throw new Error(`source map: bad VLQ character ${JSON.stringify(bad[0])}`);
  const kept = map.sources.map((source) => keep(source));
  let nextSource = 0;
  const sourceIndex = kept.map((k) => (k ? nextSource++ : -1));
  const names: string[] = [];
  const nameIndex = new Map<string, number>();
  const nameOf = (index: number) => {
    const name = map.names[index]!;
    if (!nameIndex.has(name)) nameIndex.set(name, names.push(name) - 1);
    return nameIndex.get(name)!;
  };
  // Carried across lines: Node's lookup falls back to the previous line's last mapping.
  let inOwnCode = false;

  const lines = decode(map.mappings).map((line) => {
    const segments: SourceMapSegment[] = [];
    for (const segment of line) {
      if (segment.length !== 1 && kept[segment[1]]) {
        const [column, source, sourceLine, sourceColumn] = segment;
        const to = sourceIndex[source]!;
        segments.push(segment.length === 5 ? [column, to, sourceLine, sourceColumn, nameOf(segment[4])] : [column, to, sourceLine, sourceColumn]);
        inOwnCode = true;
      } else if (inOwnCode) {
        // Ends the previous mapping here; further dependency segments add nothing.
        segments.push([segment[0]]);
        inOwnCode = false;
      }
    }
    return segments;
  });

  return {
    version: 3,
    sources: map.sources.filter((_, i) => kept[i]),
    names,
    mappings: encode(lines),
  };
};
