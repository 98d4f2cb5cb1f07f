import type { Distribution } from './harness/stats.ts';

/** One line of the bench table: a figure beside its baseline and its target. */
export interface Row {
  figure: string;
  value: string;
  baseline?: string;
  ratio?: string;
  target?: string;
  /** undefined: shown for information, no target. */
  pass?: boolean;
}

/** bench/results.json: the machine, every row of the table, and each figure's data. */
export interface BenchResults {
  date: string;
  machine: { cores: number; cpu: string; node: string; platform: string };
  durationS: number;
  table: string;
  rows: Row[];
  figures: Record<string, unknown>;
}

export const fmt = (value: number | undefined, unit = 'ms', digits = 1): string =>
  value === undefined || Number.isNaN(value) ? 'n/a' : `${value.toFixed(digits)}${unit ? ` ${unit}` : ''}`;

/** A distribution as the table shows it. */
export const spread = (d: Distribution): string => `p50 ${fmt(d.p50)} / p95 ${fmt(d.p95)}`;

export const ratioOf = (value: number, baseline: number): number => Math.round((value / baseline) * 1000) / 1000;

const COLUMNS: [keyof Row, string][] = [
  ['figure', 'figure'],
  ['value', 'value'],
  ['baseline', 'baseline'],
  ['ratio', 'ratio'],
  ['target', 'target'],
  ['pass', 'result'],
];

const cell = (row: Row, key: keyof Row): string => (key === 'pass' ? (row.pass === undefined ? '' : row.pass ? 'pass' : 'MISS') : String(row[key] ?? ''));

/** A Markdown table: readable in a terminal, and the table of docs/performance.md (results-doc.ts). */
export const renderTable = (rows: Row[]): string => {
  const widths = COLUMNS.map(([key, title]) => Math.max(title.length, ...rows.map((r) => cell(r, key).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    line(COLUMNS.map(([, title]) => title)),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map((row) => line(COLUMNS.map(([key]) => cell(row, key)))),
  ].join('\n');
};
