import { readFileSync, writeFileSync } from 'node:fs';
import { type BenchResults, renderTable } from './report.ts';

/** The last full run's figures, and the docs that show them. */
export const RESULTS_FILE = new URL('./results.json', import.meta.url);
export const PERFORMANCE_DOC = new URL('../docs/performance.md', import.meta.url);
export const README = new URL('../README.md', import.meta.url);

/** A generated part of a doc: the text between its two markers. */
interface Section {
  begin: string;
  end: string;
}

const RESULTS: Section = {
  begin: '<!-- bench:results:begin (written by npm run bench from bench/results.json; do not edit) -->',
  end: '<!-- bench:results:end -->',
};
const SUMMARY: Section = {
  begin: '<!-- bench:summary:begin (written by npm run bench from bench/results.json; do not edit) -->',
  end: '<!-- bench:summary:end -->',
};

const runLine = ({ date, machine, durationS }: BenchResults) =>
  `Latest run: ${date.slice(0, 10)}, ${machine.cores} cores (${machine.cpu}), node ${machine.node}, ${machine.platform}, ${durationS} s.`;

/** What docs/performance.md shows between its markers: the run's machine, then its table. */
export const resultsSection = (results: BenchResults): string => `${RESULTS.begin}\n${runLine(results)}\n\n${renderTable(results.rows)}\n${RESULTS.end}`;

/** What the README shows between its markers: the run's machine, then each figure that has a target, met or not. */
export const summarySection = (results: BenchResults): string => {
  const rows = results.rows.filter((row) => row.target).map((row) => `| ${row.figure.trim()} | ${row.value} | ${row.target} | ${row.pass ? 'pass' : 'MISS'} |`);
  return [SUMMARY.begin, runLine(results), '', '| figure | measured | target | |', '| --- | --- | --- | --- |', ...rows, SUMMARY.end].join('\n');
};

const withSection = (doc: string, markers: Section, section: string): string => {
  const begin = doc.indexOf(markers.begin);
  const end = doc.indexOf(markers.end, begin);
  if (begin < 0 || end < 0) throw new Error(`the doc lacks the markers ${markers.begin} … ${markers.end}`);
  return doc.slice(0, begin) + section + doc.slice(end + markers.end.length);
};

/** The doc with the text between its results markers replaced by `section`. */
export const withResultsSection = (doc: string, section: string): string => withSection(doc, RESULTS, section);

/** The doc with the text between its summary markers replaced by `section`. */
export const withSummarySection = (doc: string, section: string): string => withSection(doc, SUMMARY, section);

export const readResults = (): BenchResults => JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as BenchResults;

/** Writes bench/results.json's table into docs/performance.md and its targets into the README. */
export const writeResultsDoc = (results: BenchResults = readResults()): void => {
  writeFileSync(PERFORMANCE_DOC, withResultsSection(readFileSync(PERFORMANCE_DOC, 'utf8'), resultsSection(results)));
  writeFileSync(README, withSummarySection(readFileSync(README, 'utf8'), summarySection(results)));
};
