import { readFileSync, writeFileSync } from 'node:fs';
import { type BenchResults, renderTable } from './report.ts';

/** The last full run's figures, and the doc that shows them. */
export const RESULTS_FILE = new URL('./results.json', import.meta.url);
export const PERFORMANCE_DOC = new URL('../docs/performance.md', import.meta.url);

const BEGIN = '<!-- bench:results:begin (written by npm run bench from bench/results.json; do not edit) -->';
const END = '<!-- bench:results:end -->';

/** What docs/performance.md shows between its markers: the run's machine, then its table. */
export const resultsSection = (results: BenchResults): string => {
  const { date, machine, durationS } = results;
  const run = `Latest run: ${date.slice(0, 10)}, ${machine.cores} cores (${machine.cpu}), node ${machine.node}, ${machine.platform}, ${durationS} s.`;
  return `${BEGIN}\n${run}\n\n${renderTable(results.rows)}\n${END}`;
};

/** The doc with the text between its markers replaced by `section`. */
export const withResultsSection = (doc: string, section: string): string => {
  const begin = doc.indexOf(BEGIN);
  const end = doc.indexOf(END, begin);
  if (begin < 0 || end < 0) throw new Error(`docs/performance.md lacks the markers ${BEGIN} … ${END}`);
  return doc.slice(0, begin) + section + doc.slice(end + END.length);
};

export const readResults = (): BenchResults => JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as BenchResults;

/** Writes bench/results.json's table into docs/performance.md. */
export const writeResultsDoc = (results: BenchResults = readResults()): void => {
  const doc = readFileSync(PERFORMANCE_DOC, 'utf8');
  writeFileSync(PERFORMANCE_DOC, withResultsSection(doc, resultsSection(results)));
};
