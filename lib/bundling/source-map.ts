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

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGIT = new Map([...BASE64].map((char, value) => [char, value]));

/** One segment's fields, each relative to the previous segment (per the spec). */
const decodeSegment = (segment: string): number[] => {
  const fields: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = DIGIT.get(char);
    if (digit === undefined) throw new Error(`source map: bad VLQ character ${JSON.stringify(char)}`);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return fields;
};

const encodeField = (field: number): string => {
  let value = field < 0 ? (-field << 1) | 1 : field << 1;
  let out = '';
  do {
    let digit = value & 31;
    value >>>= 5;
    if (value) digit |= 32;
    out += BASE64[digit];
  } while (value);
  return out;
};

export const isOwnSource = (source: string): boolean => !source.includes('node_modules/');

export const trimSourceMap = (map: SourceMapV3, keep: (source: string) => boolean = isOwnSource): SourceMapV3 => {
  const kept = map.sources.map((source) => keep(source));
  let nextSource = 0;
  const sourceIndex = kept.map((k) => (k ? nextSource++ : -1));
  const names: string[] = [];
  const nameIndex = new Map<string, number>();

  // Absolute values of the input, and of the last segment written to the output.
  const input = { source: 0, line: 0, column: 0, name: 0 };
  const output = { source: 0, line: 0, column: 0, name: 0 };
  // Carried across lines: Node's lookup falls back to the previous line's last mapping.
  let inOwnCode = false;

  const lines = map.mappings.split(';').map((line) => {
    let column = 0;
    let writtenColumn = 0;
    const segments: string[] = [];
    for (const segment of line ? line.split(',') : []) {
      const fields = decodeSegment(segment);
      column += fields[0]!;
      if (fields.length >= 4) {
        input.source += fields[1]!;
        input.line += fields[2]!;
        input.column += fields[3]!;
        if (fields.length >= 5) input.name += fields[4]!;
      }
      if (fields.length >= 4 && kept[input.source]) {
        const source = sourceIndex[input.source]!;
        let out =
          encodeField(column - writtenColumn) +
          encodeField(source - output.source) +
          encodeField(input.line - output.line) +
          encodeField(input.column - output.column);
        Object.assign(output, { source, line: input.line, column: input.column });
        if (fields.length >= 5) {
          const name = map.names[input.name]!;
          if (!nameIndex.has(name)) nameIndex.set(name, names.push(name) - 1);
          const index = nameIndex.get(name)!;
          out += encodeField(index - output.name);
          output.name = index;
        }
        segments.push(out);
        inOwnCode = true;
      } else if (inOwnCode) {
        // Ends the previous mapping here; further dependency segments add nothing.
        segments.push(encodeField(column - writtenColumn));
        inOwnCode = false;
      } else {
        continue;
      }
      writtenColumn = column;
    }
    return segments.join(',');
  });

  return {
    version: 3,
    sources: map.sources.filter((_, i) => kept[i]),
    names,
    mappings: lines.join(';'),
  };
};
