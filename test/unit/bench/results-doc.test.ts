import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BenchResults } from '../../../bench/report.ts';
import { PERFORMANCE_DOC, README, readResults, resultsSection, summarySection, withResultsSection, withSummarySection } from '../../../bench/results-doc.ts';

/** docs/performance.md shows bench/results.json's run, generated rather than pasted. */
describe('the performance doc’s table', () => {
  it('is what bench/results.json makes (npm run bench:doc writes it)', () => {
    const doc = readFileSync(PERFORMANCE_DOC, 'utf8');
    const section = resultsSection(readResults());
    expect(doc).toContain(section);
    expect(withResultsSection(doc, section)).toBe(doc);
  });

  it('is summed up in the README: each figure with a target, from the same run', () => {
    const readme = readFileSync(README, 'utf8');
    const section = summarySection(readResults());
    expect(readme).toContain(section);
    expect(withSummarySection(readme, section)).toBe(readme);
  });

  const results: BenchResults = {
    date: '2026-12-01T10:00:00.000Z',
    machine: { cores: 2, cpu: 'CPU', node: 'v22.0.0', platform: 'linux-x64' },
    durationS: 7,
    table: '',
    rows: [
      { figure: '1. a', value: '3 ms', target: '≤ 5 ms', pass: true },
      { figure: '2. b', value: '9 ms', target: '≤ 5 ms', pass: false },
    ],
    figures: {},
  };

  it('renders the run’s machine and every row, with its result', () => {
    const section = resultsSection(results);
    expect(section).toContain('Latest run: 2026-12-01, 2 cores (CPU), node v22.0.0, linux-x64, 7 s.');
    expect(section.split('\n').filter((line) => line.startsWith('| 1. a ') || line.startsWith('| 2. b '))).toHaveLength(2);
    expect(section).toMatch(/\| 1\. a .*\| pass +\|/);
    expect(section).toMatch(/\| 2\. b .*\| MISS +\|/);
  });

  it('replaces only what lies between the markers, and refuses a doc without them', () => {
    const doc = `before\n${resultsSection({ ...results, rows: [] })}\nafter\n`;
    const updated = withResultsSection(doc, resultsSection(results));
    expect(updated.startsWith('before\n')).toBe(true);
    expect(updated.endsWith('\nafter\n')).toBe(true);
    expect(updated).toContain('| 2. b ');
    expect(() => withResultsSection('no markers', resultsSection(results))).toThrow(/lacks the markers/);
  });

  it('sums up only the figures that have a target, with their result', () => {
    const section = summarySection(results);
    expect(section).toContain('| 1. a | 3 ms | ≤ 5 ms | pass |');
    expect(section).toContain('| 2. b | 9 ms | ≤ 5 ms | MISS |');
    expect(summarySection({ ...results, rows: [{ figure: 'info', value: '1' }] })).not.toContain('| info');
    expect(() => withSummarySection('no markers', section)).toThrow(/lacks the markers/);
  });
});
